using Striate.Tests.Support;
using Striate.Training;
using Striate.Imaging;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

public class TrainingChartsTests
{
    private static bool Near((float R, float G, float B) a, Image img, int x, int y, float tol = 0.02f) =>
        Math.Abs(img[0, y, x] - a.R) < tol && Math.Abs(img[1, y, x] - a.G) < tol && Math.Abs(img[2, y, x] - a.B) < tol;

    private static int Count(Image img, (float R, float G, float B) colour)
    {
        int n = 0;
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                if (Near(colour, img, x, y)) n++;
        return n;
    }

    [Fact]
    public void CurvesDrawOneLinePerSeriesThatHasValues()
    {
        var log = new List<EpochRecord>
        {
            new(1, 1.2, 0.55, 1.0, 0.6, null, null, null, 0, 0, 0),
            new(2, 0.7, 0.75, 0.8, 0.7, null, null, null, 0, 0, 0),
            new(3, 0.5, 0.82, 0.75, 0.72, null, null, null, 0, 0, 0),
        };
        var img = TrainingCharts.Curves(log);
        Assert.True(Count(img, TrainingCharts.TrainColour) > 300, "train series drawn");
        Assert.True(Count(img, TrainingCharts.ValidationColour) > 300, "validation series drawn");
        // No test values in this log: the test colour appears nowhere.
        Assert.Equal(0, Count(img, TrainingCharts.TestColour));
        // The train loss falls from 1.2 to 0.5: its first marker is higher (smaller y) than its last, in the left panel.
        int FirstY(int x0, int x1)
        {
            for (int y = 0; y < img.Height; y++)
                for (int x = x0; x < x1; x++)
                    if (Near(TrainingCharts.TrainColour, img, x, y)) return y;
            return -1;
        }
        int left = FirstY(56 - 3, 56 + 4), right = FirstY(56 + 360 - 3, 56 + 360 + 4);
        Assert.True(left >= 0 && right > left + 100, $"loss markers at y {left} (epoch 1) and {right} (epoch 3)");
        Assert.Throws<ArgumentException>(() => TrainingCharts.Curves([]));
    }

    [Fact]
    public void ConfusionMatrixColoursEachCellByItsRowFraction()
    {
        long[,] m = { { 8, 2, 0 }, { 0, 5, 5 }, { 1, 0, 9 } };
        var img = TrainingCharts.ConfusionMatrix(m, ["cat", "dog", "bird"]);
        int labelW = BitmapFont.Measure("bird") + 12, left = labelW + 16, top = 40, cell = 44;
        // Sample each cell's corner (away from the count's digits).
        for (int t = 0; t < 3; t++)
            for (int p = 0; p < 3; p++)
            {
                float frac = m[t, p] / (float)(m[t, 0] + m[t, 1] + m[t, 2]);
                Assert.True(Near(Colormap.Viridis(frac), img, left + p * cell + 3, top + t * cell + 3), $"cell ({t}, {p})");
            }
    }

    [Fact]
    public void TextIsDrawnWithTheBitmapFont()
    {
        var c = new Canvas(40, 12);
        c.Text(1, 1, "T1", (0f, 0f, 0f));
        // 'T': the top row is five pixels wide, then a stem in the middle column.
        for (int x = 1; x <= 5; x++) Assert.Equal(0f, c.Image[0, 1, x]);
        Assert.Equal(0f, c.Image[0, 5, 3]);
        Assert.Equal(1f, c.Image[0, 5, 1]);
        Assert.Equal(BitmapFont.Advance * 2 - 1, BitmapFont.Measure("T1"));
    }

    [Fact]
    public void MisclassifiedGridCaptionsEveryImage()
    {
        var pics = Enumerable.Range(0, 10).Select(i => (new Image(Repo.Test.Image(i).ToArray(), 1, 28, 28), Repo.Test.Labels[i], (Repo.Test.Labels[i] + 1) % 10)).ToList();
        var img = TrainingCharts.Misclassified(pics, Striate.Data.FashionMnist.ClassNames, columns: 5);
        // Two rows of five: 28 pixels enlarged 3 times plus captions.
        Assert.Equal(2 * (84 + 32) + 8, img.Height);
        // The predicted-class captions are red.
        Assert.True(Count(img, (0.8f, 0.1f, 0.1f)) > 10 * 20);
    }

    [Fact]
    public void TrainingLogRoundTripsAndRejectsBadLines()
    {
        string dir = Repo.TempDir(), csv = Path.Combine(dir, "log.csv");
        File.WriteAllText(csv, "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,test_loss,test_accuracy,test_top5,images_per_second,seconds,lr\n"
            + "1,0.9,0.6,,,0.7,0.7,0.99,1000,2.5,0.002\n2,0.5,0.8,,,0.6,0.78,0.99,1000,2.5,0.001\n");
        var log = TrainingLog.Read(csv);
        Assert.Equal(2, log.Count);
        Assert.Null(log[0].ValidationLoss);
        Assert.Equal(0.78, log[1].TestAccuracy);
        File.AppendAllText(csv, "3,0.4,abc,,,0.6,0.78,0.99,1000,2.5,0.001\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingLog.Read(csv));
        Assert.Contains("line 4: train_accuracy 'abc' is not a number", e.Message);
        File.WriteAllText(csv, "a,b\n");
        Assert.Contains("expected the header", Assert.Throws<InvalidDataException>(() => TrainingLog.Read(csv)).Message);
    }
}
