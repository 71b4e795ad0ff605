// Fine-tunes a trained classifier on five of its classes: the checkpoint's weights start every layer but the head,
// only the last two layers train, and the result is a checkpoint that `striate evaluate` reads.
// Usage: FineTune DATA_FOLDER FROM.safetensors OUT.safetensors
using Striate.Data;
using Striate.Runs;
using Striate.Training;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: FineTune DATA_FOLDER FROM.safetensors OUT.safetensors");
    return 2;
}
string data = args[0], from = args[1], output = args[2];

ImageDataset Load(bool train)
{
    var set = FashionMnist.Load(data, train);
    return ImageDataset.FromBytes(set.Images, set.Labels, set.Count, 1, 28, 28, FashionMnist.ClassNames);
}

var source = Checkpoint.Load(from);
var options = new FineTuneOptions
{
    Classes = [5, 6, 7, 8, 9],          // sandal, shirt, sneaker, bag, ankle boot: relabelled 0..4
    PerClass = 200,                     // 200 training images of each
    From = source,
    TrainLayers = ["fc2", "fc3"],       // the rest keep the source's weights
    Epochs = 3,
    Lr = 2e-3f,
};
var run = new FineTuneRun(options, Load(train: true), Load(train: false));
Console.WriteLine($"{run.TrainableCount:N0} of {run.Model.ParameterCount():N0} parameters train; loaded {run.Report!.Loaded.Count} tensors from {from}");
var records = run.Run(e => Console.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, test accuracy {e.TestAccuracy:P2}"));
run.Save(output, options.Epochs);
Console.WriteLine($"saved {output}");
// Five classes: chance is 20 %.
return records[^1].TestAccuracy > 0.6 ? 0 : 1;
