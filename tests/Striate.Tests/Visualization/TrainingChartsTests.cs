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
