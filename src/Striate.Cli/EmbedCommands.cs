using System.CommandLine;
using System.Globalization;
using Striate.Embeddings;

namespace Striate.Cli;

/// <summary>
/// The face-system verbs over an embedding checkpoint: <c>embed</c> (vectors of images), <c>verify</c>
/// (two images: same or not), <c>enroll</c> (add one example of an identity to a database) and
/// <c>identify</c> (nearest enrolled identity, or unknown).
/// </summary>
public static class EmbedCommands
{
    private static Option<string> ModelOption() => new("--model", "-m") { Description = "Embedding checkpoint written by 'striate train --task triplet|contrastive'.", Required = true };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON." };

    private static Option<double?> TauOption() => new Option<double?>("--tau") { Description = "Decision threshold on the squared distance (default: the one chosen in training)." }.NonNegative();

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary><c>striate embed</c>.</summary>
    public static Command Embed(TextWriter stdout)
    {
        var cmd = new Command("embed", "Print the embedding of each image (PNG, JPEG, BMP).");
        var model = ModelOption();
        var json = JsonOption();
        var images = new Argument<string[]>("IMAGE") { Description = ImageInputs.Help + ".", Arity = ArgumentArity.OneOrMore };
        cmd.Options.Add(model);
        cmd.Options.Add(json);
        cmd.Arguments.Add(images);
        cmd.SetAction(r =>
        {
            var m = EmbeddingModel.Load(r.GetValue(model));
            var paths = r.GetValue(images)!;
            var rows = m.Embed(paths);
            for (int i = 0; i < paths.Length; i++)
            {
                if (r.GetValue(json))
                    Output.Json(stdout, new { input = paths[i], embedding = rows[i].Embedding, note = rows[i].Note });
                else
                    stdout.WriteLine($"{paths[i]}{(rows[i].Note is { } n ? $" ({n})" : "")}: [{string.Join(", ", rows[i].Embedding.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))}]");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary><c>striate verify</c>.</summary>
    public static Command Verify(TextWriter stdout)
    {
        var cmd = new Command("verify", "Decide whether two images show the same identity: squared embedding distance <= tau, or a DeepFace head's probability at its threshold.");
        var model = ModelOption();
        var json = JsonOption();
        var tau = TauOption();
        var headOption = new Option<string?>("--head") { Description = "A DeepFace similarity head trained on this model ('striate train --task deepface'): decide by its learned probability instead." };
        var a = new Argument<string>("A") { Description = "First image: " + ImageInputs.Help + "." };
        var b = new Argument<string>("B") { Description = "Second image, as the first." };
        foreach (var o in new Option[] { model, tau, headOption, json }) cmd.Options.Add(o);
        cmd.Arguments.Add(a);
        cmd.Arguments.Add(b);
        cmd.SetAction(r =>
        {
            var m = EmbeddingModel.Load(r.GetValue(model));
            var head = r.GetValue(headOption) is { } headPath ? LoadHead(headPath, m, r.GetValue(tau) is not null) : null;
            double t = head is null ? m.ResolveTau(r.GetValue(tau)) : double.NaN;
            string pa = r.GetValue(a)!, pb = r.GetValue(b)!;
            var rows = m.Embed([pa, pb]);
            double d = Verification.SquaredDistance(rows[0].Embedding, rows[1].Embedding);
            bool same = d <= t;
            var notes = rows.Select((x, i) => x.Note is null ? null : $"{(i == 0 ? pa : pb)}: {x.Note}").Where(x => x is not null).ToArray();
            if (head is not null)
            {
                double logit = head.Logit(rows[0].Embedding, rows[1].Embedding), probability = 1 / (1 + Math.Exp(-logit));
                same = logit >= head.Threshold;
                if (r.GetValue(json))
                    Output.Json(stdout, new { a = pa, b = pb, probability, logit, threshold_probability = head.ThresholdProbability, head = DeepFaceHeadFile.Name(head.Head.Distance), distance = d, same, notes });
                else
                {
                    foreach (var n in notes) stdout.WriteLine(n);
                    stdout.WriteLine($"{(same ? "same" : "different")}: probability {F(probability)} {(same ? ">=" : "<")} {F(head.ThresholdProbability)} (DeepFace {DeepFaceHeadFile.Name(head.Head.Distance)} head); distance {F(d)}");
                }
                return 0;
            }
            if (r.GetValue(json))
                Output.Json(stdout, new { a = pa, b = pb, distance = d, tau = t, same, notes });
            else
            {
                foreach (var n in notes) stdout.WriteLine(n);
                stdout.WriteLine($"{(same ? "same" : "different")}: distance {F(d)} {(same ? "<=" : ">")} tau {F(t)}");
            }
            return 0;
        });
        return cmd;
    }

    // A head file for model m: trained on exactly these weights, for embeddings of its size; --tau does not apply to it.
    private static DeepFaceHeadFile LoadHead(string path, EmbeddingModel m, bool tauGiven)
    {
        if (tauGiven) throw new CliUsageException("--tau is a threshold on the squared distance; with --head the decision uses the head's own threshold.");
        DeepFaceHeadFile head;
        try
        {
            head = DeepFaceHeadFile.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new CliUsageException($"--head: {e.Message}");
        }
        if (head.ModelDigest != m.WeightsDigest)
            throw new CliUsageException($"--head: '{path}' was trained on the embeddings of another model (weights {head.ModelDigest}); '{m.Path}' has weights {m.WeightsDigest}.");
        if (head.Head.EmbeddingDim != m.Net.EmbeddingDim)
            throw new CliUsageException($"--head: '{path}' reads {head.Head.EmbeddingDim}-value embeddings; '{m.Path}' makes {m.Net.EmbeddingDim}.");
        return head;
    }

    /// <summary><c>striate enroll</c>.</summary>
    public static Command Enroll(TextWriter stdout)
    {
        var cmd = new Command("enroll", "Enrol an identity from one image into a database file (created if absent).");
        var model = ModelOption();
        var json = JsonOption();
        var db = new Option<string>("--db") { Description = "Enrolment database file.", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace the embedding of a name already enrolled." };
        var name = new Argument<string>("NAME") { Description = "The identity's name." };
        var image = new Argument<string>("IMAGE") { Description = "One image of the identity: " + ImageInputs.Help + "." };
        foreach (var o in new Option[] { model, db, replace, json }) cmd.Options.Add(o);
        cmd.Arguments.Add(name);
        cmd.Arguments.Add(image);
        cmd.SetAction(r =>
        {
            string path = r.GetValue(db)!;
            Output.CheckWritable(path, "--db");
            var m = EmbeddingModel.Load(r.GetValue(model));
            IDisposable writeLock;
            try
            {
                writeLock = EnrollmentDatabase.Lock(path, TimeSpan.FromSeconds(10));
            }
            catch (IOException e)
            {
                throw new CliUsageException(e.Message);
            }
            using var _ = writeLock;
            // An existing file must load: an empty or corrupt one is reported, never replaced.
            var database = File.Exists(path) ? EnrollmentDatabase.Load(path) : new EnrollmentDatabase(m.Net.EmbeddingDim, m.Signature, m.WeightsDigest);
            CheckSameModel(database, m, path);
            string who = r.GetValue(name)!;
            var row = m.Embed([r.GetValue(image)!])[0];
            bool existed = database.Names.Contains(who);
            try
            {
                database.Enroll(who, row.Embedding, r.GetValue(replace));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            database.Save(path);
            if (r.GetValue(json))
                Output.Json(stdout, new { name = who, replaced = existed, identities = database.Count, db = path });
            else
                stdout.WriteLine($"{(existed ? "replaced" : "enrolled")} '{who}' ({database.Count} identities in {path})");
            return 0;
        });
        return cmd;
    }

    /// <summary><c>striate identify</c>.</summary>
    public static Command Identify(TextWriter stdout)
    {
        var cmd = new Command("identify", "Name the enrolled identity nearest to each image, or 'unknown' when its distance exceeds tau.");
        var model = ModelOption();
        var json = JsonOption();
        var tau = TauOption();
        var db = new Option<string>("--db") { Description = "Enrolment database file.", Required = true };
        var images = new Argument<string[]>("IMAGE") { Description = ImageInputs.Help + ".", Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { model, db, tau, json }) cmd.Options.Add(o);
        cmd.Arguments.Add(images);
        cmd.SetAction(r =>
        {
            var m = EmbeddingModel.Load(r.GetValue(model));
            double t = m.ResolveTau(r.GetValue(tau));
            string path = r.GetValue(db)!;
            var database = EnrollmentDatabase.Load(path);
            CheckSameModel(database, m, path);
            if (database.Count == 0) throw new CliUsageException($"'{path}' has no enrolled identities; add some with 'striate enroll'.");
            var paths = r.GetValue(images)!;
            var rows = m.Embed(paths);
            for (int i = 0; i < paths.Length; i++)
            {
                var id = database.Identify(rows[i].Embedding, t);
                if (r.GetValue(json))
                    Output.Json(stdout, new { input = paths[i], identity = id.Identity ?? "unknown", nearest = id.Nearest, distance = id.Distance, tau = t, note = rows[i].Note });
                else
                    stdout.WriteLine($"{paths[i]}: {id.Identity ?? "unknown"} (nearest '{id.Nearest}', distance {F(id.Distance)}, tau {F(t)})");
            }
            return 0;
        });
        return cmd;
    }

    private static void CheckSameModel(EnrollmentDatabase db, EmbeddingModel m, string path)
    {
        if (db.EmbeddingDim != m.Net.EmbeddingDim || (db.Model.Length > 0 && db.Model != m.Signature))
            throw new CliUsageException($"'{path}' was enrolled with another model ({(db.Model.Length > 0 ? db.Model : $"{db.EmbeddingDim}-value embeddings")}); '{m.Path}' is {m.Signature}.");
        if (db.Weights.Length > 0 && db.Weights != m.WeightsDigest)
            throw new CliUsageException($"'{path}' was enrolled with another trained model of the same architecture (weights {db.Weights}); " +
                $"'{m.Path}' has weights {m.WeightsDigest}. Use the model the database was enrolled with, or enrol into a new database.");
    }
}
