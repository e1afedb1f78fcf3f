using System.Numerics;

namespace Lmvp.Store.Chunking;

/// <summary>FastCDC-style content-defined chunking with a gear hash and normalized chunking.</summary>
/// <remarks>
/// The gear table is derived from a fixed seed with splitmix64, so cut points are identical on every machine.
/// Normalized chunking (level 2): before the average size a mask with two more bits makes cuts rarer, after it a
/// mask with two fewer bits makes them likelier, which pulls chunk sizes toward the average.
/// The hash uses the top bits of a 64-bit gear hash: they depend on the last 64 bytes only.
/// </remarks>
internal sealed class Chunker
{
    private static readonly ulong[] Gear = CreateGearTable();

    private readonly ChunkerParameters _parameters;
    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    /// <summary>Creates a chunker with the given size bounds.</summary>
    public Chunker(ChunkerParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.MinSize <= 0 || parameters.MinSize > parameters.AverageSize || parameters.AverageSize > parameters.MaxSize
            || !BitOperations.IsPow2(parameters.AverageSize))
        {
            throw new ArgumentException("Chunk sizes must satisfy 0 < min <= average <= max with a power-of-two average.", nameof(parameters));
        }

        _parameters = parameters;
        var bits = BitOperations.Log2((uint)parameters.AverageSize);
        _maskSmall = TopBits(bits + 2);
        _maskLarge = TopBits(bits - 2);
    }

    /// <summary>The chunker every repository uses.</summary>
    public static Chunker Default { get; } = new(ChunkerParameters.Default);

    /// <summary>The size bounds.</summary>
    public ChunkerParameters Parameters => _parameters;

    /// <summary>
    /// Returns the length of the chunk that starts at <paramref name="data"/>[0], or 0 when more data is needed.
    /// </summary>
    /// <param name="data">Bytes from the chunk start; at least <see cref="ChunkerParameters.MaxSize"/> unless the file ends sooner.</param>
    /// <param name="isFinal">True when <paramref name="data"/> runs to the end of the file.</param>
    /// <param name="maxLength">A preferred cut (from a format reader) at this length, or <see cref="int.MaxValue"/>.</param>
    /// <param name="fixedLength">True when the chunk is exactly <paramref name="maxLength"/> long (a piece of a tensor, at most
    /// <see cref="ChunkerParameters.MaxSize"/>), false to cut by content before it.</param>
    public int NextChunkLength(ReadOnlySpan<byte> data, bool isFinal, int maxLength = int.MaxValue, bool fixedLength = false)
    {
        if (fixedLength)
        {
            return data.Length >= maxLength ? maxLength : isFinal ? data.Length : 0;
        }

        var limit = Math.Min(Math.Min(data.Length, _parameters.MaxSize), maxLength);
        if (limit == 0)
        {
            return 0;
        }

        if (!isFinal && limit < Math.Min(_parameters.MaxSize, maxLength))
        {
            return 0;
        }

        return FindCut(data[..limit]);
    }

    private unsafe int FindCut(ReadOnlySpan<byte> data)
    {
        var n = data.Length;
        var min = _parameters.MinSize;
        if (n <= min)
        {
            return n;
        }

        var normal = Math.Min(n, _parameters.AverageSize);
        ulong hash = 0;
        var maskS = _maskSmall;
        var maskL = _maskLarge;
        fixed (byte* p = data)
        fixed (ulong* gear = Gear)
        {
            var i = min;
            for (; i + 1 < normal; i += 2)
            {
                hash = (hash << 1) + gear[p[i]];
                if ((hash & maskS) == 0)
                {
                    return i + 1;
                }

                hash = (hash << 1) + gear[p[i + 1]];
                if ((hash & maskS) == 0)
                {
                    return i + 2;
                }
            }

            for (; i < normal; i++)
            {
                hash = (hash << 1) + gear[p[i]];
                if ((hash & maskS) == 0)
                {
                    return i + 1;
                }
            }

            for (; i + 1 < n; i += 2)
            {
                hash = (hash << 1) + gear[p[i]];
                if ((hash & maskL) == 0)
                {
                    return i + 1;
                }

                hash = (hash << 1) + gear[p[i + 1]];
                if ((hash & maskL) == 0)
                {
                    return i + 2;
                }
            }

            for (; i < n; i++)
            {
                hash = (hash << 1) + gear[p[i]];
                if ((hash & maskL) == 0)
                {
                    return i + 1;
                }
            }
        }

        return n;
    }

    private static ulong TopBits(int count) => count <= 0 ? 0 : ulong.MaxValue << (64 - count);

    private static ulong[] CreateGearTable()
    {
        var table = new ulong[256];
        ulong state = 0x4C4D5650_43444331; // "LMVPCDC1": changing it changes every chunk id.
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            table[i] = z ^ (z >> 31);
        }

        return table;
    }
}
