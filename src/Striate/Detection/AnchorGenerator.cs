using Striate.Tensors;

namespace Striate.Detection;

/// <summary>
/// Anchors as torchvision's detection <c>AnchorGenerator</c> makes them: for each size s and aspect ratio r (height
/// over width) a base box of width s / sqrt(r) and height s sqrt(r) centred on 0 and rounded (half to even, as
/// torch.round), ratios outer and sizes inner; then at every cell of a feature map the base boxes moved to the cell's
/// corner, (x, y) = (column, row) x stride, stride = image side // map side. Order: cell by cell (row-major), the base
/// boxes within a cell.
/// </summary>
public sealed class AnchorGenerator
{
    /// <summary>An anchor generator for one feature map, e.g. Faster R-CNN's sizes (32, 64, 128, 256, 512) or 3 sizes x ratios (0.5, 1, 2).</summary>
    /// <exception cref="ArgumentException">No sizes or ratios, or one that is not a positive finite number.</exception>
    public AnchorGenerator(IReadOnlyList<double> sizes, IReadOnlyList<double> aspectRatios)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(aspectRatios);
        if (sizes.Count == 0 || aspectRatios.Count == 0 || sizes.Concat(aspectRatios).Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new ArgumentException($"anchor generator: expected positive sizes and aspect ratios, got sizes ({string.Join(", ", sizes)}) and ratios ({string.Join(", ", aspectRatios)}).");
        Sizes = [.. sizes];
        AspectRatios = [.. aspectRatios];
        var b = new List<double[]>();
        foreach (double r in aspectRatios)
        {
            double hr = Math.Sqrt(r), wr = 1 / hr;
            foreach (double s in sizes)
            {
                double w = wr * s, h = hr * s;
                b.Add([Math.Round(-w / 2, MidpointRounding.ToEven), Math.Round(-h / 2, MidpointRounding.ToEven), Math.Round(w / 2, MidpointRounding.ToEven), Math.Round(h / 2, MidpointRounding.ToEven)]);
            }
        }
        BaseAnchors = [.. b];
    }

    public IReadOnlyList<double> Sizes { get; }
    public IReadOnlyList<double> AspectRatios { get; }

    /// <summary>The base boxes (x1, y1, x2, y2) centred on 0, ratios outer and sizes inner.</summary>
    public IReadOnlyList<double[]> BaseAnchors { get; }

    /// <summary>Anchors per feature-map cell.</summary>
    public int PerCell => BaseAnchors.Count;

    /// <summary>The anchors [mapHeight x mapWidth x PerCell, 4] of a feature map of that size for an image of that size.</summary>
    /// <exception cref="ArgumentException">A size is below 1 or the map is larger than the image.</exception>
    public Tensor Anchors(int imageHeight, int imageWidth, int mapHeight, int mapWidth)
    {
        if (mapHeight < 1 || mapWidth < 1 || imageHeight < mapHeight || imageWidth < mapWidth)
            throw new ArgumentException($"anchor generator: expected a feature map no larger than its image, got {mapHeight}x{mapWidth} for {imageHeight}x{imageWidth}.");
        int sy = imageHeight / mapHeight, sx = imageWidth / mapWidth, a = PerCell;
        var y = Tensor.Empty(mapHeight * mapWidth * a, 4);
        var d = y.Data;
        for (int row = 0; row < mapHeight; row++)
            for (int col = 0; col < mapWidth; col++)
                for (int k = 0; k < a; k++)
                {
                    int o = ((row * mapWidth + col) * a + k) * 4;
                    var b = BaseAnchors[k];
                    d[o] = (float)(col * sx + b[0]);
                    d[o + 1] = (float)(row * sy + b[1]);
                    d[o + 2] = (float)(col * sx + b[2]);
                    d[o + 3] = (float)(row * sy + b[3]);
                }
        return y;
    }
}
