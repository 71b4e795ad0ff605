namespace Striate.Training;

/// <summary>Loss and accuracy of a model on a dataset, with the per-class view and the confusion matrix.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(double loss, int count, int top1Correct, int top5Correct, long[,] confusion, IReadOnlyList<string> classNames)
    {
        Loss = loss;
        Count = count;
        Top1 = count == 0 ? 0 : (double)top1Correct / count;
        Top5 = count == 0 ? 0 : (double)top5Correct / count;
        Confusion = confusion;
        ClassNames = classNames;
        int k = confusion.GetLength(0);
        PerClassAccuracy = new double[k];
        for (int c = 0; c < k; c++)
        {
            long total = 0;
            for (int p = 0; p < k; p++) total += confusion[c, p];
            PerClassAccuracy[c] = total == 0 ? double.NaN : (double)confusion[c, c] / total;
        }
    }

    /// <summary>Mean cross-entropy per image.</summary>
    public double Loss { get; }

    public int Count { get; }

    /// <summary>Fraction of images whose top class is right.</summary>
    public double Top1 { get; }

    /// <summary>Fraction of images whose right class is among the five highest scores.</summary>
    public double Top5 { get; }

    /// <summary>Accuracy within each true class (NaN for a class with no images).</summary>
    public double[] PerClassAccuracy { get; }

    /// <summary>Mean of the per-class accuracies over classes that have images (balanced accuracy).</summary>
    public double BalancedAccuracy => PerClassAccuracy.Where(a => !double.IsNaN(a)).DefaultIfEmpty(0).Average();

    /// <summary>Counts [true class, predicted class].</summary>
    public long[,] Confusion { get; }

    public IReadOnlyList<string> ClassNames { get; }
}
