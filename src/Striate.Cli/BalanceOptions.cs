using System.CommandLine;
using System.Globalization;

namespace Striate.Cli;

/// <summary>The class-balancing options of <c>striate train</c>: --balance and, for experiments, --imbalance.</summary>
public sealed class BalanceOptions
{
    private readonly Option<string> _balance = new Option<string>("--balance")
    {
        Description = "Class balancing: none, weight (loss weights median_freq / freq(c)) or sample (draw every class equally often).",
        DefaultValueFactory = _ => "none",
    }.Choice(ParseBalancing);

    private static Data.ClassBalancing ParseBalancing(string text) => IO.EnumText.Parse<Data.ClassBalancing>(text, "class balancing", "balancings");

    private readonly Option<string?> _imbalance = new Option<string?>("--imbalance")
    {
        Description = "Experiments: keep only a fraction of some classes' training images, as C1,C2:FRACTION (e.g. 2,4,6:0.05).",
    }.Choice(ParseImbalance);

    /// <summary>Adds the options to <paramref name="cmd"/>.</summary>
    /// <summary>The options this class adds.</summary>
    public IEnumerable<Option> All => [_balance, _imbalance];

    public static BalanceOptions Add(Command cmd)
    {
        var o = new BalanceOptions();
        cmd.Options.Add(o._balance);
        cmd.Options.Add(o._imbalance);
        return o;
    }

    /// <summary>The --balance value, checked.</summary>
    public Data.ClassBalancing Balance(ParseResult r) => ParseBalancing(r.GetValue(_balance)!);

    /// <summary>The --imbalance value, parsed; null when not given.</summary>
    public (int[] Classes, double Fraction)? Imbalance(ParseResult r) => r.GetValue(_imbalance) is string text ? ParseImbalance(text) : null;

    // C1,C2,...:FRACTION with class numbers and a fraction in (0, 1].
    private static (int[] Classes, double Fraction) ParseImbalance(string text)
    {
        var parts = text.Split(':');
        bool ok = parts.Length == 2
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f > 0 && f <= 1
            && parts[0].Split(',').All(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (!ok) throw new CliUsageException($"--imbalance: expected C1,C2,...:FRACTION with class numbers and a fraction in (0, 1], got '{text}'.");
        return (parts[0].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
