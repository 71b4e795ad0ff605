// MSBuild task compiled by RoslynCodeTaskFactory (see WeakenVersionNeed.targets). The factory compiles against
// netstandard 2.0 reference assemblies, so this file avoids Span, BinaryPrimitives and File.Move(..., overwrite).
//
// Marks a version requirement of an ELF64 shared library as weak: the Vernaux entry naming that version in the
// SHT_GNU_verneed section (.gnu.version_r) gets VER_FLG_WEAK in vna_flags. glibc's loader then accepts the library
// when the providing library lacks that version (only `ldd -v` still notes "weak version ... not found") instead of
// failing dlopen with "version `X' not found". That is safe only if no symbol bound to that version is ever resolved,
// so the task refuses to patch when a dynamic relocation refers to such a symbol. The loader looks symbols up only
// for relocations (eagerly under LD_BIND_NOW too), so the .gnu.version entry and binding of a symbol no relocation
// refers to are left as they are.
//
// The file is patched through a copy in the same folder which then replaces it by rename, so a hard link to the
// original (a package cache, say) is never written through. The copy keeps the original's mode and timestamps,
// which lets MSBuild's incremental copy keep skipping the file; running the task again finds the flag set and does
// nothing.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenVersionNeed : Task
{
    private const uint ShtStrTab = 3;
    private const uint ShtRela = 4;
    private const uint ShtDynamic = 6;
    private const uint ShtNoBits = 8;
    private const uint ShtRel = 9;
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerNeed = 0x6ffffffe;
    private const uint ShtGnuVerSym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;
    private const ushort ShnXIndex = 0xffff;
    private const long DtVerNeed = 0x6ffffffe;

    /// <summary>Candidate files, usually every copy-local file at its place in the output folder.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = new ITaskItem[0];

    /// <summary>
    /// What to weaken: the item is a file name (libLibTorchSharp.so), its Version metadata the version name
    /// (GLIBCXX_3.4.32). Each must match at least one of Files.
    /// </summary>
    [Required]
    public ITaskItem[] Requirements { get; set; } = new ITaskItem[0];

    public override bool Execute()
    {
        foreach (ITaskItem requirement in Requirements)
        {
            string name = requirement.ItemSpec;
            string version = requirement.GetMetadata("Version");
            if (version.Length == 0)
            {
                Log.LogError("WeakenVersionNeed: requirement {0} has no Version metadata", name);
                continue;
            }
            bool matched = false;
            foreach (ITaskItem file in Files)
            {
                string path = file.GetMetadata("FullPath");
                if (!string.Equals(Path.GetFileName(path), name, StringComparison.Ordinal))
                    continue;
                matched = true;
                try
                {
                    PatchFile(path, version);
                }
                catch (InvalidDataException e)
                {
                    Log.LogError("WeakenVersionNeed: {0}: {1}", path, e.Message);
                }
                catch (IOException e)
                {
                    Log.LogError("WeakenVersionNeed: {0}: {1}", path, e.Message);
                }
                catch (UnauthorizedAccessException e)
                {
                    Log.LogError("WeakenVersionNeed: {0}: {1}", path, e.Message);
                }
            }
            if (!matched)
                Log.LogWarning("WeakenVersionNeed: no file named {0} among the {1} candidates", name, Files.Length);
        }
        return !Log.HasLoggedErrors;
    }

    private void PatchFile(string path, string version)
    {
        byte[] image = File.ReadAllBytes(path);
        Elf64 elf = new Elf64(image);

        Section verNeed = elf.SingleSectionOfType(ShtGnuVerNeed, ".gnu.version_r");
        if (verNeed == null)
        {
            Log.LogMessage(MessageImportance.Low, "WeakenVersionNeed: {0} has no version requirements", path);
            return;
        }
        Section verNeedStrings = elf.LinkedSection(verNeed, ".gnu.version_r");
        CheckDynamicAgrees(elf, verNeed);

        long flagsOffset = -1;
        ushort flags = 0, versionIndex = 0;
        string fromFile = "";
        // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 (16 bytes).
        // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 (16 bytes).
        // sh_info holds the number of Verneed entries.
        long need = verNeed.Offset;
        for (uint i = 0; i < verNeed.Info; i++)
        {
            elf.Require(verNeed, need, 16, "Verneed entry");
            ushort auxCount = elf.U16(need + 2);
            uint file = elf.U32(need + 4);
            long aux = need + elf.U32(need + 8);
            for (uint j = 0; j < auxCount; j++)
            {
                elf.Require(verNeed, aux, 16, "Vernaux entry");
                if (elf.String(verNeedStrings, elf.U32(aux + 8)) == version)
                {
                    if (flagsOffset >= 0)
                        throw new InvalidDataException("version " + version + " is required twice");
                    flagsOffset = aux + 4;
                    flags = elf.U16(aux + 4);
                    versionIndex = (ushort)(elf.U16(aux + 6) & 0x7fff);
                    fromFile = elf.String(verNeedStrings, file);
                }
                uint nextAux = elf.U32(aux + 12);
                if (nextAux == 0)
                    break;
                aux += nextAux;
            }
            uint next = elf.U32(need + 12);
            if (next == 0)
                break;
            need += next;
        }

        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, "WeakenVersionNeed: {0} does not require {1}", path, version);
            return;
        }
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, "WeakenVersionNeed: {0} already requires {1} weakly", path, version);
            return;
        }

        string symbols = CheckNoRelocationUses(elf, versionIndex, version);

        string temp = path + ".weaken-" + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            // File.Copy keeps the mode bits; the timestamps are set back after the write.
            File.Copy(path, temp);
            DateTime accessed = File.GetLastAccessTimeUtc(path);
            DateTime written = File.GetLastWriteTimeUtc(path);
            ushort patched = (ushort)(flags | VerFlgWeak);
            using (FileStream stream = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                stream.Position = flagsOffset;
                int low = stream.ReadByte(), high = stream.ReadByte();
                if (stream.Length != image.LongLength || low != (byte)flags || high != (byte)(flags >> 8))
                    throw new IOException("the file changed while it was being patched");
                stream.Position = flagsOffset;
                stream.WriteByte((byte)patched);
                stream.WriteByte((byte)(patched >> 8));
            }
            File.SetLastWriteTimeUtc(temp, written);
            File.SetLastAccessTimeUtc(temp, accessed);
            File.Replace(temp, path, null);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
        Log.LogMessage(MessageImportance.Normal,
            "WeakenVersionNeed: {0}: {1} from {2} is now a weak requirement (bound symbols, none relocated: {3})",
            path, version, fromFile, symbols);
    }

    // The loader finds the requirements through DT_VERNEED in the dynamic section, not through the section headers:
    // make sure both point at the same table before changing it.
    private static void CheckDynamicAgrees(Elf64 elf, Section verNeed)
    {
        Section dynamic = elf.SingleSectionOfType(ShtDynamic, ".dynamic");
        if (dynamic == null)
            throw new InvalidDataException("no .dynamic section");
        // Elf64_Dyn: d_tag i64, d_val u64 (16 bytes); DT_NULL (0) ends the table.
        for (long d = dynamic.Offset; d + 16 <= dynamic.Offset + dynamic.Size; d += 16)
        {
            long tag = (long)elf.U64(d);
            if (tag == 0)
                break;
            if (tag != DtVerNeed)
                continue;
            ulong address = elf.U64(d + 8);
            if (address != verNeed.Address)
                throw new InvalidDataException("DT_VERNEED (0x" + address.ToString("x") + ") does not match .gnu.version_r (0x" +
                    verNeed.Address.ToString("x") + ")");
            return;
        }
        throw new InvalidDataException("the dynamic section has no DT_VERNEED");
    }

    // Returns the names of the dynamic symbols bound to versionIndex, after checking that no SHT_RELA/SHT_REL section
    // applying to the dynamic symbol table refers to any of them.
    private static string CheckNoRelocationUses(Elf64 elf, ushort versionIndex, string version)
    {
        Section dynSym = elf.SingleSectionOfType(ShtDynSym, ".dynsym");
        Section verSym = elf.SingleSectionOfType(ShtGnuVerSym, ".gnu.version");
        if (dynSym == null || verSym == null)
            throw new InvalidDataException("version requirements without .dynsym and .gnu.version");
        if (dynSym.EntrySize != 24)
            throw new InvalidDataException(".dynsym entry size " + dynSym.EntrySize + ", expected 24");
        Section dynStr = elf.LinkedSection(dynSym, ".dynsym");
        long symbolCount = dynSym.Size / 24;
        if (verSym.Size / 2 != symbolCount)
            throw new InvalidDataException(".gnu.version has " + verSym.Size / 2 + " entries for " + symbolCount + " symbols");

        HashSet<long> bound = new HashSet<long>();
        StringBuilder names = new StringBuilder();
        for (long s = 0; s < symbolCount; s++)
        {
            if ((elf.U16(verSym.Offset + 2 * s) & 0x7fff) != versionIndex)
                continue;
            bound.Add(s);
            if (names.Length > 0)
                names.Append(", ");
            names.Append(elf.String(dynStr, elf.U32(dynSym.Offset + 24 * s)));
        }

        foreach (Section relocations in elf.Sections)
        {
            if (relocations.Type != ShtRela && relocations.Type != ShtRel)
                continue;
            if (relocations.Link != dynSym.Index)
                continue;
            long entrySize = relocations.Type == ShtRela ? 24 : 16;
            if (relocations.EntrySize != entrySize)
                throw new InvalidDataException("relocation section " + relocations.Index + " has entry size " + relocations.EntrySize);
            for (long r = 0; r + entrySize <= relocations.Size; r += entrySize)
            {
                // r_info is the second 8-byte field; its high 32 bits are the symbol index.
                long symbol = elf.U32(relocations.Offset + r + 8 + 4);
                if (bound.Contains(symbol))
                {
                    throw new InvalidDataException("symbol " + elf.String(dynStr, elf.U32(dynSym.Offset + 24 * symbol)) +
                        " needs " + version + " and is relocated at run time, so the requirement cannot be made weak");
                }
            }
        }
        return names.Length > 0 ? names.ToString() : "none";
    }

    private sealed class Section
    {
        public int Index;
        public uint Type;
        public uint Link;
        public uint Info;
        public ulong Address;
        public long Offset;
        public long Size;
        public long EntrySize;
    }

    // Read-only view of an ELF64 little-endian image: the header and section headers, every range checked against
    // the file length before it is read.
    private sealed class Elf64
    {
        private readonly byte[] _image;

        public readonly List<Section> Sections = new List<Section>();

        public Elf64(byte[] image)
        {
            _image = image;
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (image[4] != 2 || image[5] != 1)
                throw new InvalidDataException("not ELF64 little-endian (EI_CLASS " + image[4] + ", EI_DATA " + image[5] + ")");

            long sectionTable = checked((long)U64(40));
            ushort entrySize = U16(58);
            long count = U16(60);
            long namesIndex = U16(62);
            if (sectionTable == 0)
                throw new InvalidDataException("no section header table");
            if (entrySize != 64)
                throw new InvalidDataException("section header size " + entrySize + ", expected 64");
            Require(sectionTable, 64, "section header 0");
            // More than 0xff00 sections: the real count and string-table index live in section header 0.
            if (count == 0)
                count = checked((long)U64(sectionTable + 32));
            if (namesIndex == ShnXIndex)
                namesIndex = U32(sectionTable + 40);
            if (count > (image.Length - sectionTable) / 64)
                throw new InvalidDataException("section header table (" + count + " entries) runs past the end of the file");

            for (int i = 0; i < count; i++)
            {
                long header = sectionTable + 64L * i;
                Section section = new Section
                {
                    Index = i,
                    Type = U32(header + 4),
                    Address = U64(header + 16),
                    Offset = checked((long)U64(header + 24)),
                    Size = checked((long)U64(header + 32)),
                    Link = U32(header + 40),
                    Info = U32(header + 44),
                    EntrySize = checked((long)U64(header + 56)),
                };
                if (section.Type != ShtNoBits && section.Type != 0)
                    Require(section.Offset, section.Size, "section " + i);
                Sections.Add(section);
            }
            if (namesIndex >= count)
                throw new InvalidDataException("section name table index " + namesIndex + " out of range");
        }

        public Section SingleSectionOfType(uint type, string what)
        {
            Section found = null;
            foreach (Section section in Sections)
            {
                if (section.Type != type)
                    continue;
                if (found != null)
                    throw new InvalidDataException("more than one " + what + " section");
                found = section;
            }
            return found;
        }

        public Section LinkedSection(Section section, string what)
        {
            if (section.Link == 0 || section.Link >= Sections.Count)
                throw new InvalidDataException(what + " links to section " + section.Link + ", which does not exist");
            Section linked = Sections[(int)section.Link];
            if (linked.Type != ShtStrTab)
                throw new InvalidDataException(what + " links to section " + section.Link + ", which is not a string table");
            return linked;
        }

        public void Require(long offset, long length, string what)
        {
            if (offset < 0 || length < 0 || offset > _image.LongLength - length)
                throw new InvalidDataException(what + " (offset " + offset + ", " + length + " bytes) lies outside the file");
        }

        public void Require(Section section, long offset, long length, string what)
        {
            if (offset < section.Offset || length < 0 || offset - section.Offset > section.Size - length)
                throw new InvalidDataException(what + " at offset " + offset + " lies outside its section");
        }

        public ushort U16(long offset)
        {
            Require(offset, 2, "field");
            return (ushort)(_image[offset] | _image[offset + 1] << 8);
        }

        public uint U32(long offset)
        {
            Require(offset, 4, "field");
            return BitConverter.IsLittleEndian ? BitConverter.ToUInt32(_image, (int)offset)
                : (uint)(_image[offset] | _image[offset + 1] << 8 | _image[offset + 2] << 16 | _image[offset + 3] << 24);
        }

        public ulong U64(long offset)
        {
            Require(offset, 8, "field");
            return U32(offset) | (ulong)U32(offset + 4) << 32;
        }

        // A NUL-terminated string at offset within a string table section.
        public string String(Section table, uint offset)
        {
            if (offset >= table.Size)
                throw new InvalidDataException("string offset " + offset + " outside its string table");
            long start = table.Offset + offset;
            long end = start;
            long limit = table.Offset + table.Size;
            while (end < limit && _image[end] != 0)
                end++;
            if (end == limit)
                throw new InvalidDataException("unterminated string at offset " + start);
            return Encoding.ASCII.GetString(_image, (int)start, (int)(end - start));
        }
    }
}
