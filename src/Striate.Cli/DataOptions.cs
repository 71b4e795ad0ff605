using Striate.Data;

namespace Striate.Cli;

/// <summary>How <c>--data</c> folders of images are read: channels, size and what to do with an undecodable file.</summary>
/// <param name="Channels">1 (gray) or 3 (RGB) for an image folder; null for RGB.</param>
/// <param name="Height">The height images are resized to; null keeps the first image's.</param>
/// <param name="Width">The width images are resized to; null keeps the first image's.</param>
/// <param name="OnBadImage">Fail on an undecodable image or skip it.</param>
/// <param name="Log">Where skipped images are reported.</param>
public sealed record DataOptions(int? Channels = null, int? Height = null, int? Width = null, BadImagePolicy OnBadImage = BadImagePolicy.Fail, TextWriter? Log = null);
