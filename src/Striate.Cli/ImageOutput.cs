using Striate.Imaging;

namespace Striate.Cli;

/// <summary>Reading input pictures and writing PNG files for the drawing commands, with command-line errors.</summary>
internal static class ImageOutput
{
    /// <summary>Writes <paramref name="image"/> (creating the folder) and prints where; a folder that cannot be made is a usage error.</summary>
    public static void Save(Image image, string path, TextWriter stdout)
    {
        try
        {
            image.SavePng(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"cannot write '{path}': {e.Message}");
        }
        stdout.WriteLine($"wrote {Path.GetFullPath(path)} ({image.Width}x{image.Height})");
    }

    /// <summary>Loads an input picture; a missing or undecodable file is a usage error naming it.</summary>
    public static Image Load(string path, int channels)
    {
        if (!File.Exists(path)) throw new CliUsageException($"image file '{path}' does not exist (looked at {Path.GetFullPath(path)}).");
        return Image.Load(path, channels);
    }
}
