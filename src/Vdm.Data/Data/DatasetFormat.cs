namespace Vdm.Data;

/// <summary>How a catalogue entry's files are laid out.</summary>
public enum DatasetFormat
{
    /// <summary>Pairs of IDX files per split (MNIST, Fashion-MNIST, or any folder of IDX files).</summary>
    Idx,

    /// <summary>NIST's EMNIST zip of gz IDX files (or those files extracted), images transposed.</summary>
    EmnistZip,

    /// <summary>CIFAR-10 binary batches (tar.gz or extracted folder).</summary>
    Cifar10Binary,

    /// <summary>A folder of PNG/JPEG files, optionally in class sub-folders (<see cref="ImageFolderReader"/>).</summary>
    ImageFolder,

    /// <summary>Generated 2-D data (<see cref="Toy2D"/>).</summary>
    Toy2D,
}
