using System.Globalization;

namespace Striate.Imaging;

/// <summary>
/// A small 2-D kernel for the classic image filters, applied as cross-correlation (the deep-learning convention).
/// The named ones are those of the lecture notes: the identity and the three edge detectors of the filter table
/// (identity, <c>edge-1</c> = [1 0 -1; 0 0 0; -1 0 1], <c>edge-2</c> = the 4-neighbour Laplacian, <c>edge-3</c> = the
/// 8-neighbour one), the vertical and horizontal edge detectors [1 0 -1]x3 and its transpose, Sobel, sharpen, a
/// 3x3 box blur and a 5x5 Gaussian blur (sigma 1).
/// </summary>
public sealed class ConvolutionKernel
{
    private static readonly Dictionary<string, (string Text, string Description)> s_named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["identity"] = ("0,0,0;0,1,0;0,0,0", "leaves the image unchanged"),
        ["edge-1"] = ("1,0,-1;0,0,0;-1,0,1", "edge detection (diagonal differences)"),
        ["edge-2"] = ("0,1,0;1,-4,1;0,1,0", "edge detection (4-neighbour Laplacian)"),
        ["edge-3"] = ("-1,-1,-1;-1,8,-1;-1,-1,-1", "edge detection (8-neighbour Laplacian)"),
        ["edge-vertical"] = ("1,0,-1;1,0,-1;1,0,-1", "vertical edges: bright where the left is brighter than the right"),
        ["edge-horizontal"] = ("1,1,1;0,0,0;-1,-1,-1", "horizontal edges: bright where the top is brighter than the bottom"),
        ["sobel-x"] = ("-1,0,1;-2,0,2;-1,0,1", "Sobel derivative along x"),
        ["sobel-y"] = ("-1,-2,-1;0,0,0;1,2,1", "Sobel derivative along y"),
        ["sharpen"] = ("0,-1,0;-1,5,-1;0,-1,0", "sharpens: the centre minus the Laplacian"),
        ["box-blur"] = ("1,1,1;1,1,1;1,1,1/9", "3x3 mean"),
        ["gaussian-blur"] = (GaussianText(5, 1.0), "5x5 Gaussian, sigma 1"),
    };

    /// <summary>Creates a kernel of <paramref name="height"/> x <paramref name="width"/> values (row-major).</summary>
    /// <exception cref="ArgumentException">The sizes do not match the values, or a value is not finite.</exception>
    public ConvolutionKernel(string name, float[] values, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (height < 1 || width < 1 || values.Length != height * width)
            throw new ArgumentException($"ConvolutionKernel: {height}x{width} needs {Math.Max(height, 0) * Math.Max(width, 0)} values, got {values.Length}.");
        if (values.Any(v => !float.IsFinite(v)))
            throw new ArgumentException($"ConvolutionKernel '{name}': every value must be finite.");
        Name = name;
        Values = values;
        Height = height;
        Width = width;
    }

    public string Name { get; }

    /// <summary>The weights, row by row.</summary>
    public float[] Values { get; }

    public int Height { get; }
    public int Width { get; }

    /// <summary>Sum of the weights: 1 for smoothing and sharpening kernels, 0 for edge detectors.</summary>
    public float Sum => Values.Sum();

    /// <summary>The named kernels with a one-line description each.</summary>
    public static IEnumerable<(string Name, string Description)> Named => s_named.Select(kv => (kv.Key, kv.Value.Description));

    /// <summary>
    /// A named kernel, or kernel text: rows separated by ';', values by ',' or spaces, optionally followed by
    /// "/D" to divide every value by D, e.g. "0,-1,0;-1,5,-1;0,-1,0" or "1 2 1;2 4 2;1 2 1/16".
    /// </summary>
    /// <exception cref="FormatException">The text is neither a known name nor a rectangular table of numbers.</exception>
    public static ConvolutionKernel Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (s_named.TryGetValue(text.Trim(), out var named)) return ParseTable(text.Trim().ToLowerInvariant(), named.Text);
        if (System.Text.RegularExpressions.Regex.IsMatch(text.Trim(), "^[A-Za-z][A-Za-z0-9_-]*$"))
            throw new FormatException($"unknown kernel '{text}'. Named kernels: {string.Join(", ", s_named.Keys)}; or give the values, rows separated by ';' and values by ',', e.g. \"0,-1,0;-1,5,-1;0,-1,0\".");
        return ParseTable(text, text);
    }

    private static ConvolutionKernel ParseTable(string name, string text)
    {
        var inv = CultureInfo.InvariantCulture;
        double divisor = 1;
        int slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            string d = text[(slash + 1)..].Trim();
            if (!double.TryParse(d, NumberStyles.Float, inv, out divisor) || divisor == 0 || !double.IsFinite(divisor))
                throw new FormatException($"kernel '{name}': the divisor after '/' must be a non-zero number, got '{d}'.");
            text = text[..slash];
        }
        var rows = text.Split(';', StringSplitOptions.TrimEntries);
        var values = new List<float>();
        int width = -1;
        for (int r = 0; r < rows.Length; r++)
        {
            var cells = rows[r].Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length == 0) throw new FormatException($"kernel '{name}': row {r + 1} is empty.");
            if (width >= 0 && cells.Length != width)
                throw new FormatException($"kernel '{name}': row {r + 1} has {cells.Length} values, expected {width} like row 1.");
            width = cells.Length;
            foreach (var cell in cells)
            {
                if (!double.TryParse(cell, NumberStyles.Float, inv, out double v) || !double.IsFinite(v))
                    throw new FormatException($"kernel '{name}': '{cell}' in row {r + 1} is not a number.");
                values.Add((float)(v / divisor));
            }
        }
        if (rows.Length > 31 || width > 31)
            throw new FormatException($"kernel '{name}': at most 31x31 values, got {rows.Length}x{width}.");
        return new ConvolutionKernel(name, values.ToArray(), rows.Length, width);
    }

    /// <summary>A normalised size x size Gaussian with standard deviation sigma.</summary>
    public static ConvolutionKernel Gaussian(int size, double sigma)
    {
        if (size < 1 || size % 2 == 0) throw new ArgumentException($"Gaussian: size must be odd and positive, got {size}.");
        if (!(sigma > 0)) throw new ArgumentException($"Gaussian: sigma must be > 0, got {sigma}.");
        var v = new float[size * size];
        int r = size / 2;
        double sum = 0;
        for (int y = -r; y <= r; y++)
            for (int x = -r; x <= r; x++)
                sum += Math.Exp(-(x * x + y * y) / (2 * sigma * sigma));
        for (int y = -r; y <= r; y++)
            for (int x = -r; x <= r; x++)
                v[(y + r) * size + x + r] = (float)(Math.Exp(-(x * x + y * y) / (2 * sigma * sigma)) / sum);
        return new ConvolutionKernel($"gaussian-{size}-{sigma.ToString(CultureInfo.InvariantCulture)}", v, size, size);
    }

    private static string GaussianText(int size, double sigma)
    {
        var g = Gaussian(size, sigma);
        return string.Join(';', Enumerable.Range(0, size).Select(r =>
            string.Join(',', g.Values.Skip(r * size).Take(size).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
    }

    public override string ToString() => $"{Name} ({Height}x{Width})";
}
