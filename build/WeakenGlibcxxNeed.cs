// MSBuild task (compiled by RoslynCodeTaskFactory from Directory.Build.targets).
//
// TorchSharp 0.107.0's libLibTorchSharp.so (linux-x64) was linked against GCC 13's libstdc++ and records a
// version need GLIBCXX_3.4.32. The only symbol bound to that version is std::ios_base_library_init(), which
// has no relocation and is never called. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the loader
// refuses the library. Marking that one version need weak (VER_FLG_WEAK in .gnu.version_r) lets glibc load
// it. We only do so when (a) the host libstdc++ lacks the version and (b) no symbol other than the known one
// uses it; otherwise the file is left alone so a real new dependency fails loudly. With Always (the .NET tool
// package, which runs on hosts we cannot see), (a) is skipped: the weak need is harmless where the version exists.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenGlibcxxNeed : Task
{
    const string NeededVersion = "GLIBCXX_3.4.32";
    const string KnownSymbol = "_ZSt21ios_base_library_initv";
    const uint ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public bool Always { get; set; }

    static readonly string[] HostLibstdcxx =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (!Always && HostHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, "Host libstdc++ provides " + NeededVersion + "; nothing to patch.");
            return true;
        }
        foreach (var item in Files)
        {
            if (File.Exists(item.ItemSpec)) Patch(item.ItemSpec);
        }
        return !Log.HasLoggedErrors;
    }

    static bool HostHasVersion()
    {
        var needle = Encoding.ASCII.GetBytes(NeededVersion + "\0");
        foreach (var path in HostLibstdcxx)
        {
            if (!File.Exists(path)) continue;
            return Contains(File.ReadAllBytes(path), needle); // the first one found is the one the loader uses
        }
        return false;
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    static int FindSection(int count, Func<int, bool> match)
    {
        for (int i = 0; i < count; i++) if (match(i)) return i;
        return -1;
    }

    void Patch(string path)
    {
        var d = File.ReadAllBytes(path);
        if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[4] != 2 || d[5] != 1) return; // ELF64 little-endian
        long shoff = BitConverter.ToInt64(d, 0x28);
        int shentsize = BitConverter.ToUInt16(d, 0x3A), shnum = BitConverter.ToUInt16(d, 0x3C);
        Func<int, long> header = i => shoff + (long)i * shentsize;
        Func<int, uint> type = i => BitConverter.ToUInt32(d, (int)header(i) + 4);
        Func<int, long> offset = i => BitConverter.ToInt64(d, (int)header(i) + 0x18);
        Func<int, long> size = i => BitConverter.ToInt64(d, (int)header(i) + 0x20);
        Func<int, int> link = i => BitConverter.ToInt32(d, (int)header(i) + 0x28);
        Func<long, string> cstr = at => { int e = (int)at; while (d[e] != 0) e++; return Encoding.ASCII.GetString(d, (int)at, e - (int)at); };

        int verneed = FindSection(shnum, i => type(i) == ShtVerneed);
        int versym = FindSection(shnum, i => type(i) == ShtVersym);
        int dynsym = FindSection(shnum, i => type(i) == ShtDynsym);
        if (verneed < 0 || versym < 0 || dynsym < 0) return;

        // Find the vernaux entry naming GLIBCXX_3.4.32: its file offset and its version index (vna_other).
        long needStr = offset(link(verneed));
        long vn = offset(verneed), auxAt = -1;
        int index = -1;
        int needCount = BitConverter.ToInt32(d, (int)header(verneed) + 0x2C);
        for (int k = 0; k < needCount; k++)
        {
            int cnt = BitConverter.ToUInt16(d, (int)vn + 2);
            long va = vn + BitConverter.ToUInt32(d, (int)vn + 8);
            for (int j = 0; j < cnt; j++)
            {
                if (cstr(needStr + BitConverter.ToUInt32(d, (int)va + 8)) == NeededVersion)
                {
                    auxAt = va;
                    index = BitConverter.ToUInt16(d, (int)va + 6);
                }
                va += BitConverter.ToUInt32(d, (int)va + 12);
            }
            uint next = BitConverter.ToUInt32(d, (int)vn + 12);
            if (next == 0) break;
            vn += next;
        }
        if (auxAt < 0) return;

        // Every dynamic symbol bound to that version must be the known, never-called one.
        long symStr = offset(link(dynsym));
        long symCount = size(dynsym) / 24;
        for (long s = 0; s < symCount; s++)
        {
            int ver = BitConverter.ToUInt16(d, (int)(offset(versym) + 2 * s)) & 0x7fff;
            if (ver != index) continue;
            string name = cstr(symStr + BitConverter.ToUInt32(d, (int)(offset(dynsym) + 24 * s)));
            if (name != KnownSymbol)
            {
                Log.LogWarning(path + ": symbol " + name + " needs " + NeededVersion + "; not patching (this TorchSharp needs a newer libstdc++).");
                return;
            }
        }

        ushort flags = BitConverter.ToUInt16(d, (int)auxAt + 4);
        if ((flags & VerFlgWeak) != 0) return; // already patched: idempotent
        flags |= VerFlgWeak;
        d[auxAt + 4] = (byte)flags;
        d[auxAt + 5] = (byte)(flags >> 8);
        var temp = path + ".weak-tmp";
        File.WriteAllBytes(temp, d);
        File.Copy(temp, path, true);
        File.Delete(temp);
        Log.LogMessage(MessageImportance.High, "Marked the " + NeededVersion + " need weak in " + path);
    }
}
