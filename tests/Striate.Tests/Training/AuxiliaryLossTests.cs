using Striate.Data;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;

namespace Striate.Tests.Training;

public class AuxiliaryLossTests
{
    private sealed class TwoHeads : Module, IAuxiliaryClassifiers
    {
        public TwoHeads()
        {
            Main = RegisterModule("main", new Linear(4, 3, generator: new Generator(1)));
            Aux = RegisterModule("aux", new Linear(4, 3, generator: new Generator(2)));
        }

        public Linear Main { get; }
        public Linear Aux { get; }
        public float AuxiliaryWeight => 0.3f;

        protected override Tensor OnForward(Tensor input) => Main.Call(F.Flatten(input));

        public IReadOnlyList<Tensor> ForwardAll(Tensor input) =>
            IsTraining ? [Forward(input), Aux.Call(F.Flatten(input))] : [Forward(input)];
    }

    [Fact]
    public void TheTrainerAddsWeightedAuxiliaryLosses()
    {
        var gen = new Generator(3);
        var x = Tensor.Uniform(gen, -1, 1, 6, 1, 2, 2);
        int[] labels = [0, 1, 2, 2, 1, 0];
        var model = new TwoHeads();
        float expected;
        using (Autograd.NoGrad())
            expected = F.CrossEntropy(model.Main.Forward(F.Flatten(x)), labels).Item() + 0.3f * F.CrossEntropy(model.Aux.Forward(F.Flatten(x)), labels).Item();
        var data = ImageDataset.FromFloats(x.ToArray(), labels, 1, 2, 2, ["a", "b", "c"]);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 1e-9f));
        var (loss, _, _, _) = trainer.TrainEpoch(new DataLoader(data, 6), 0);
        Assert.Equal(expected, loss, 5);
        Assert.NotNull(model.Aux.Weight.Grad); // the auxiliary head was trained
    }
}
