// Classifies one image file with a trained checkpoint through an InferenceSession: the file is read in the model's
// channels, resized to its input, normalised with the checkpoint's statistics, and the top three classes printed.
// Usage: InferImage MODEL.safetensors IMAGE
using Striate.Imaging;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Training;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: InferImage MODEL.safetensors IMAGE");
    return 2;
}
var checkpoint = Checkpoint.Load(args[0]);
var spec = checkpoint.Spec;
var image = Image.Load(args[1], spec.InChannels).Resize(spec.InputHeight, spec.InputWidth);

int plane = spec.InputHeight * spec.InputWidth;
var pixels = new float[spec.InChannels * plane];
for (int c = 0; c < spec.InChannels; c++)
    for (int p = 0; p < plane; p++)
        pixels[c * plane + p] = (image.Pixels[c * plane + p] - checkpoint.Mean[c]) / checkpoint.Std[c];

var session = new InferenceSession(checkpoint.Model);
var probabilities = F.Softmax(session.Run(Tensor.FromArray(pixels, 1, spec.InChannels, spec.InputHeight, spec.InputWidth))).ToArray();
foreach (int k in Enumerable.Range(0, probabilities.Length).OrderByDescending(k => probabilities[k]).ThenBy(k => k).Take(3))
    Console.WriteLine($"{probabilities[k],8:P2}  {checkpoint.ClassNames[k]}");
return 0;
