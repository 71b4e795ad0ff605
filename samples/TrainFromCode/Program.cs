// Trains LeNet-5 on Fashion-MNIST from code and saves a checkpoint that the striate tool and the other samples read.
// Usage: TrainFromCode DATA_FOLDER OUT.safetensors [TRAIN_IMAGES]
using Striate.Data;
using Striate.Models;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: TrainFromCode DATA_FOLDER OUT.safetensors [TRAIN_IMAGES]");
    return 2;
}
string data = args[0], output = args[1];
int limit = args.Length > 2 ? int.Parse(args[2]) : 60000;

var train = FashionMnist.Load(data, train: true);
var test = FashionMnist.Load(data, train: false);
var trainSet = ImageDataset.FromBytes(train.Images, train.Labels, train.Count, 1, 28, 28, FashionMnist.ClassNames);
trainSet = trainSet.Subset(Enumerable.Range(0, Math.Min(limit, trainSet.Count)).ToArray());
var testSet = ImageDataset.FromBytes(test.Images, test.Labels, test.Count, 1, 28, 28, FashionMnist.ClassNames);
var (mean, std) = trainSet.ChannelStatistics();

var model = new LeNet5(numClasses: 10, generator: new Generator(seed: 1));
var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 2e-3f));
var loader = new DataLoader(trainSet.Normalize(mean, std), batchSize: 64, shuffle: true, seed: 1);
trainer.Fit(loader, epochs: 2, onEpoch: r => Console.WriteLine($"epoch {r.Epoch}: loss {r.TrainLoss:F4}"));
var result = Trainer.Evaluate(model, new DataLoader(testSet.Normalize(mean, std), batchSize: 500));
Console.WriteLine($"test accuracy {result.Top1:P2} on {result.Count} images");

new Checkpoint
{
    Spec = new ModelSpec("lenet5", 10, 1, 28, 28), Model = model, Epoch = 2, Mean = mean, Std = std,
    ClassNames = FashionMnist.ClassNames,
}.Save(output);
Console.WriteLine($"saved {output}");
// Ten classes: chance is 10 %; two epochs on a few thousand images reach well over 60 %.
return result.Top1 > 0.6 ? 0 : 1;
