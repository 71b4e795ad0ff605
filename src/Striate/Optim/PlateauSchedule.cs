using System.Globalization;

namespace Striate.Optim;

/// <summary>
/// Reduce-on-plateau, as torch.optim.lr_scheduler.ReduceLROnPlateau in mode "min" with threshold_mode "rel": after
/// every epoch <see cref="Step"/> sees the monitored loss; a value below best x (1 - threshold) is an improvement
/// (and the new best), anything else a bad epoch; once more than <see cref="Patience"/> bad epochs have passed the
/// rate becomes max(lr x factor, min_lr) (if that lowers it by more than 1e-8) and the next <see cref="Cooldown"/>
/// epochs count no bad epochs. The rate is constant within an epoch. Unlike the other schedules it has state
/// (<see cref="State"/>), which a checkpoint saves so that a resumed run continues it.
/// </summary>
public sealed class PlateauSchedule : LrSchedule
{
    private const double Eps = 1e-8;

    /// <summary>A schedule that multiplies the rate by <paramref name="factor"/> after <paramref name="patience"/> epochs without improvement.</summary>
    /// <exception cref="ArgumentException">factor not in (0, 1), a negative patience, cooldown or min_lr, or threshold not in [0, 1).</exception>
    public PlateauSchedule(double factor = 0.1, int patience = 10, int cooldown = 0, double minLr = 0, double threshold = 1e-4)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentException($"Plateau schedule: the factor must be in (0, 1), got {factor}.");
        if (patience < 0 || cooldown < 0) throw new ArgumentException($"Plateau schedule: patience and cooldown must be >= 0, got {patience} and {cooldown}.");
        if (!(minLr >= 0) || double.IsInfinity(minLr)) throw new ArgumentException($"Plateau schedule: min_lr must be >= 0, got {minLr}.");
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentException($"Plateau schedule: the threshold must be in [0, 1), got {threshold}.");
        ReductionFactor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLr = minLr;
        Threshold = threshold;
    }

    /// <summary>The multiplier applied at each reduction.</summary>
    public double ReductionFactor { get; }

    /// <summary>Bad epochs tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest learning rate (absolute).</summary>
    public double MinLr { get; }

    /// <summary>The relative improvement that counts: a loss must fall below best x (1 - threshold).</summary>
    public double Threshold { get; }

    /// <summary>The best loss seen (+infinity before the first step).</summary>
    public double Best { get; private set; } = double.PositiveInfinity;

    /// <summary>Bad epochs since the last improvement or reduction.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Cooldown epochs left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The current multiplier of the base learning rate.</summary>
    public double Scale { get; private set; } = 1;

    /// <inheritdoc/>
    public override double Factor(long step, long totalSteps, int stepsPerEpoch) => Scale;

    /// <summary>Takes the epoch's loss; returns true when the rate was reduced.</summary>
    /// <param name="loss">The monitored value (lower is better).</param>
    /// <param name="baseLr">The base rate the scale multiplies, for <see cref="MinLr"/>.</param>
    public bool Step(double loss, double baseLr)
    {
        if (loss < Best * (1 - Threshold))
        {
            Best = loss;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs <= Patience) return false;
        double old = baseLr * Scale, lowered = Math.Max(old * ReductionFactor, MinLr);
        bool reduced = old - lowered > Eps;
        if (reduced) Scale = lowered / baseLr;
        CooldownCounter = Cooldown;
        NumBadEpochs = 0;
        return reduced;
    }

    /// <summary>The state as text: best, bad epochs, cooldown left, scale.</summary>
    public string State => string.Create(CultureInfo.InvariantCulture, $"{Best:R};{NumBadEpochs};{CooldownCounter};{Scale:R}");

    /// <summary>Restores a state written by <see cref="State"/>.</summary>
    /// <exception cref="FormatException">The text is not a plateau state (four fields; counts that fit an int and are
    /// not negative; a scale in (0, 1]).</exception>
    public void Restore(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var inv = CultureInfo.InvariantCulture;
        var p = state.Split(';');
        if (p.Length != 4
            || !double.TryParse(p[0], NumberStyles.Float, inv, out double best)
            || !int.TryParse(p[1], NumberStyles.None, inv, out int bad)
            || !int.TryParse(p[2], NumberStyles.None, inv, out int cooldown)
            || !double.TryParse(p[3], NumberStyles.Float, inv, out double scale) || !(scale > 0 && scale <= 1))
            throw new FormatException($"Plateau schedule: '{state}' is not a saved state (best;bad epochs;cooldown;scale, the counts non-negative integers, the scale in (0, 1]).");
        Best = best;
        NumBadEpochs = bad;
        CooldownCounter = cooldown;
        Scale = scale;
    }

    /// <inheritdoc/>
    public override string ToString() => Cooldown == 0 && MinLr == 0
        ? string.Create(CultureInfo.InvariantCulture, $"plateau:{ReductionFactor}:{Patience}")
        : string.Create(CultureInfo.InvariantCulture, $"plateau:{ReductionFactor}:{Patience}:{Cooldown}:{MinLr:R}");
}
