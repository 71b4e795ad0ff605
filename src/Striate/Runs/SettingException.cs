namespace Striate.Runs;

/// <summary>
/// A run's setting out of range: <see cref="Setting"/> names the options record's property (<c>BatchSize</c>), so a
/// front end can name its own flag for it (<c>--batch-size</c>); the message names the setting in words and says what
/// it must be and what it was.
/// </summary>
public sealed class SettingException : ArgumentException
{
    /// <summary>A setting <paramref name="setting"/> (the property), called <paramref name="what"/> in words, that <paramref name="requirement"/>.</summary>
    public SettingException(string setting, string what, string requirement)
        : base($"{what} {requirement}")
    {
        Setting = setting;
        Requirement = requirement;
    }

    /// <summary>The options record's property that holds the setting.</summary>
    public string Setting { get; }

    /// <summary>What the value must be and what it was: "must be >= 1, got 0."</summary>
    public string Requirement { get; }

    /// <summary>Throws unless <paramref name="ok"/>.</summary>
    /// <exception cref="SettingException"><paramref name="ok"/> is false.</exception>
    public static void Require(bool ok, string setting, string what, string requirement)
    {
        if (!ok) throw new SettingException(setting, what, requirement);
    }
}
