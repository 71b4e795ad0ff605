using Striate.Data;
using Striate.Models;
using Striate.Optim;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Docs;

/// <summary>The README's C# example, on a slice of the data so it runs quickly: it must keep compiling and working.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void TheReadmeExampleRuns()
    {
        string data = Repo.FashionMnist, dir = Repo.TempDir();
        var train = FashionMnist.Load(data, train: true);
        var test = FashionMnist.Load(data, train: false);
        var trainSet = ImageDataset.FromBytes(train.Images, train.Labels, train.Count, 1, 28, 28, FashionMnist.ClassNames).Subset(Enumerable.Range(0, 3000).ToArray());
        var testSet = ImageDataset.FromBytes(test.Images, test.Labels, test.Count, 1, 28, 28, FashionMnist.ClassNames).Subset(Enumerable.Range(0, 1000).ToArray());
        var (mean, std) = trainSet.ChannelStatistics();

        var model = new LeNet5(numClasses: 10, generator: new Generator(seed: 1));
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 1e-3f));
        var loader = new DataLoader(trainSet.Normalize(mean, std), batchSize: 64, shuffle: true, seed: 1);
        var records = trainer.Fit(loader, epochs: 2);
        var result = Trainer.Evaluate(model, new DataLoader(testSet.Normalize(mean, std), batchSize: 500));
        string path = Path.Combine(dir, "lenet5.safetensors");
        new Checkpoint { Spec = new ModelSpec("lenet5", 10, 1, 28, 28), Model = model, Epoch = 2, Mean = mean, Std = std, ClassNames = FashionMnist.ClassNames }.Save(path);

        Assert.Equal(2, records.Count);
        Assert.True(records[1].TrainLoss < records[0].TrainLoss);
        Assert.True(result.Top1 > 0.6, $"accuracy {result.Top1:P1}");
        var back = Checkpoint.Load(path);
        Assert.Equal(2, back.Epoch);
        Assert.Equal(model.StateDict()[0].Value.ToArray(), back.Model.StateDict()[0].Value.ToArray());
    }
}
