using Striate.Embeddings;
using Striate.Tests.Support;

namespace Striate.Tests.Embeddings;

public class EnrollmentDatabaseTests
{
    [Fact]
    public void EnrolIdentifyAndRejectUnknownFaces()
    {
        var db = new EnrollmentDatabase(3, "lenet5");
        db.Enroll("ada", [1, 0, 0]);
        db.Enroll("bob", [0, 1, 0]);
        var near = db.Identify([0.9f, 0.1f, 0], tau: 0.5);
        Assert.Equal(("ada", "ada"), (near.Identity, near.Nearest));
        Assert.Equal(0.02, near.Distance, 6);
        var far = db.Identify([0, 0, 1], tau: 0.5);
        Assert.Null(far.Identity);
        Assert.Equal(2.0, far.Distance, 6);
        Assert.Contains("--replace", Assert.Throws<ArgumentException>(() => db.Enroll("ada", [0, 0, 1])).Message);
        db.Enroll("ada", [0, 0, 1], replace: true);
        Assert.Equal("ada", db.Identify([0, 0, 1], 0.5).Identity);
        Assert.Contains("3", Assert.Throws<ArgumentException>(() => db.Enroll("cy", [1, 2])).Message);
    }

    [Fact]
    public void SaveAndLoadRoundTripAndBadFilesAreClearErrorsLeftUntouched()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "faces.db");
        var db = new EnrollmentDatabase(4, "spec");
        db.Enroll("x", [1, 2, 3, 4]);
        db.Enroll("y", [-1, 0.5f, 0, 2]);
        db.Save(path);
        var back = EnrollmentDatabase.Load(path);
        Assert.Equal(["x", "y"], back.Names);
        Assert.Equal("spec", back.Model);
        Assert.Equal([-1, 0.5f, 0, 2], back.Embedding("y").ToArray());
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));

        File.WriteAllBytes(path, []);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(path)).Message);
        var junk = new byte[] { 200, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"' };
        File.WriteAllBytes(path, junk);
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(path)).Message);
        Assert.Equal(junk, File.ReadAllBytes(path));
        Assert.Throws<FileNotFoundException>(() => EnrollmentDatabase.Load(Path.Combine(dir, "none.db")));
    }
    [Fact]
    public void AFileWithRepeatedNamesOrAnAbsurdSizeIsCorruptAndSavingMakesItsFolder()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "new", "folder", "faces.db");
        var db = new EnrollmentDatabase(2, "spec");
        db.Enroll("x", [1, 2]);
        db.Save(path);
        Assert.Equal(["x"], EnrollmentDatabase.Load(path).Names);

        string twice = Path.Combine(dir, "twice.db");
        Striate.Serialization.SafeTensors.Write(twice, [Striate.Serialization.SafeTensorEntry.FromFloat32("embeddings", [2, 2], [1, 2, 3, 4])],
            new Dictionary<string, string> { ["format"] = "striate-enrollment", ["names"] = "[\"x\",\"x\"]", ["model"] = "spec" });
        var e = Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(twice));
        Assert.Contains("lists the name 'x' 2 times", e.Message);

        string huge = Path.Combine(dir, "huge.db");
        Striate.Serialization.SafeTensors.Write(huge, [Striate.Serialization.SafeTensorEntry.FromFloat32("embeddings", [0, 3_000_000_000], [])],
            new Dictionary<string, string> { ["format"] = "striate-enrollment", ["names"] = "[]", ["model"] = "spec" });
        Assert.Contains("found 3000000000", Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(huge)).Message);
    }

    [Fact]
    public void TheWriteLockIsExclusiveAndGoneOnRelease()
    {
        string path = Path.Combine(Repo.TempDir(), "faces.db");
        using (EnrollmentDatabase.Lock(path, TimeSpan.FromSeconds(1)))
        {
            Assert.True(File.Exists(path + ".lock"));
            var e = Assert.Throws<IOException>(() => EnrollmentDatabase.Lock(path, TimeSpan.FromMilliseconds(100)));
            Assert.Contains("delete the lock file", e.Message);
        }
        Assert.False(File.Exists(path + ".lock"));

        // Writers that take the lock in turn keep every name: each loads, enrols and saves under it.
        new EnrollmentDatabase(1, "spec").Save(path);
        Parallel.For(0, 8, i =>
        {
            using var _ = EnrollmentDatabase.Lock(path, TimeSpan.FromSeconds(30));
            var db = EnrollmentDatabase.Load(path);
            db.Enroll($"n{i}", [i]);
            db.Save(path);
        });
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"n{i}").Order(), EnrollmentDatabase.Load(path).Names.Order());
    }
}
