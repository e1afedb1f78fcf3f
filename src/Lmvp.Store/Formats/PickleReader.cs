using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Lmvp.Store.Formats;

/// <summary>Interprets the opcodes of a pickle (protocols 0 to 5, as torch.save writes them) into <see cref="PickleValue"/>s.</summary>
/// <remarks>
/// The safe subset: GLOBAL and STACK_GLOBAL yield a name, REDUCE/NEWOBJ/BUILD record what would have happened, persistent
/// ids are kept as data. Two constructors are understood because torch's state dicts need them: <c>collections.OrderedDict()</c>
/// becomes an empty dict (so SETITEMS fill it), and <c>torch._utils._rebuild_parameter</c> yields the tensor it wraps.
/// Everything is bounded (opcodes, stack, memo, string lengths); anything outside the subset is a <see cref="LayoutException"/>.
/// </remarks>
internal static class PickleReader
{
    private const int MaxOps = 20_000_000;
    private const int MaxStack = 1_000_000;
    private const int MaxMemo = 1_000_000;

    public static PickleValue Read(ReadOnlySpan<byte> data)
    {
        var r = new HeaderReader(data);
        var stack = new List<PickleValue>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, PickleValue>();
        for (var ops = 0; ops < MaxOps; ops++)
        {
            if (stack.Count > MaxStack || memo.Count > MaxMemo)
            {
                throw new LayoutException("the pickle's stack or memo grows past its bound.");
            }

            var op = r.U8();
            switch (op)
            {
                case 0x80: // PROTO
                    r.U8();
                    break;
                case 0x95: // FRAME
                    r.U64();
                    break;
                case (byte)'(':
                    marks.Push(stack.Count);
                    break;
                case (byte)'.':
                    return stack.Count == 1 ? stack[0] : throw new LayoutException("the pickle stops with other than one value.");
                case (byte)'0':
                    Pop(stack);
                    break;
                case (byte)'1':
                    PopMark(stack, marks);
                    break;
                case (byte)'2':
                    stack.Add(Peek(stack));
                    break;
                case (byte)'N':
                    stack.Add(new PickleScalar(null));
                    break;
                case 0x88:
                    stack.Add(new PickleScalar(true));
                    break;
                case 0x89:
                    stack.Add(new PickleScalar(false));
                    break;
                case (byte)'J':
                    stack.Add(new PickleScalar((long)r.I32()));
                    break;
                case (byte)'K':
                    stack.Add(new PickleScalar((long)r.U8()));
                    break;
                case (byte)'M':
                    stack.Add(new PickleScalar((long)r.U16()));
                    break;
                case 0x8a: // LONG1
                    stack.Add(Long(r.Take(r.U8())));
                    break;
                case 0x8b: // LONG4
                    stack.Add(Long(r.Take(Length(r.I32()))));
                    break;
                case (byte)'G':
                    stack.Add(new PickleScalar(BinaryPrimitives.ReadDoubleBigEndian(r.Take(8))));
                    break;
                case (byte)'X':
                    stack.Add(new PickleScalar(HeaderReader.Utf8(r.Take(r.U32()))));
                    break;
                case 0x8c:
                    stack.Add(new PickleScalar(HeaderReader.Utf8(r.Take(r.U8()))));
                    break;
                case 0x8d:
                    stack.Add(new PickleScalar(HeaderReader.Utf8(r.Take(Length(r.U64())))));
                    break;
                case (byte)'T':
                    stack.Add(new PickleScalar(Latin1(r.Take(Length(r.I32())))));
                    break;
                case (byte)'U':
                    stack.Add(new PickleScalar(Latin1(r.Take(r.U8()))));
                    break;
                case (byte)'B':
                    r.Take(r.U32());
                    stack.Add(new Opaque("bytes"));
                    break;
                case (byte)'C':
                    r.Take(r.U8());
                    stack.Add(new Opaque("bytes"));
                    break;
                case 0x8e or 0x96: // BINBYTES8, BYTEARRAY8
                    r.Take(Length(r.U64()));
                    stack.Add(new Opaque("bytes"));
                    break;
                case (byte)')':
                    stack.Add(new PickleTuple([]));
                    break;
                case (byte)'t':
                    stack.Add(new PickleTuple([.. PopMark(stack, marks)]));
                    break;
                case 0x85:
                    stack.Add(new PickleTuple([Pop(stack)]));
                    break;
                case 0x86:
                {
                    var b = Pop(stack);
                    stack.Add(new PickleTuple([Pop(stack), b]));
                    break;
                }

                case 0x87:
                {
                    var c = Pop(stack);
                    var b = Pop(stack);
                    stack.Add(new PickleTuple([Pop(stack), b, c]));
                    break;
                }

                case (byte)']':
                    stack.Add(new PickleList());
                    break;
                case (byte)'l':
                {
                    var list = new PickleList();
                    list.Items.AddRange(PopMark(stack, marks));
                    stack.Add(list);
                    break;
                }

                case (byte)'a':
                {
                    var item = Pop(stack);
                    (Peek(stack) as PickleList)?.Items.Add(item);
                    break;
                }

                case (byte)'e':
                {
                    var items = PopMark(stack, marks);
                    (Peek(stack) as PickleList)?.Items.AddRange(items);
                    break;
                }

                case (byte)'}':
                    stack.Add(new PickleDict());
                    break;
                case (byte)'d':
                {
                    var dict = new PickleDict();
                    AddPairs(dict, PopMark(stack, marks));
                    stack.Add(dict);
                    break;
                }

                case (byte)'s':
                {
                    var value = Pop(stack);
                    var key = Pop(stack);
                    (Peek(stack) as PickleDict)?.Items.Add(new(key, value));
                    break;
                }

                case (byte)'u':
                {
                    var items = PopMark(stack, marks);
                    if (Peek(stack) is PickleDict dict)
                    {
                        AddPairs(dict, items);
                    }

                    break;
                }

                case 0x8f: // EMPTY_SET
                    stack.Add(new Opaque("set"));
                    break;
                case 0x90: // ADDITEMS
                    PopMark(stack, marks);
                    break;
                case 0x91: // FROZENSET
                    PopMark(stack, marks);
                    stack.Add(new Opaque("frozenset"));
                    break;
                case (byte)'c':
                {
                    var module = Line(ref r);
                    stack.Add(new PickleGlobal(module, Line(ref r)));
                    break;
                }

                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(stack);
                    var module = Pop(stack);
                    stack.Add(module is PickleScalar { Value: string m } && name is PickleScalar { Value: string n } ? new PickleGlobal(m, n) : new Opaque("global"));
                    break;
                }

                case (byte)'R' or 0x81: // REDUCE, NEWOBJ
                {
                    var arguments = Pop(stack);
                    stack.Add(Call(Pop(stack), arguments));
                    break;
                }

                case 0x92: // NEWOBJ_EX
                {
                    Pop(stack);
                    var arguments = Pop(stack);
                    stack.Add(Call(Pop(stack), arguments));
                    break;
                }

                case (byte)'b': // BUILD: the state would be set on the object; it is dropped
                    Pop(stack);
                    Peek(stack);
                    break;
                case (byte)'o': // OBJ
                    PopMark(stack, marks);
                    stack.Add(new Opaque("object"));
                    break;
                case (byte)'i': // INST
                    Line(ref r);
                    Line(ref r);
                    PopMark(stack, marks);
                    stack.Add(new Opaque("object"));
                    break;
                case (byte)'Q':
                    stack.Add(new PicklePersistent(Pop(stack)));
                    break;
                case (byte)'P':
                    stack.Add(new PicklePersistent(new PickleScalar(Line(ref r))));
                    break;
                case (byte)'q':
                    memo[r.U8()] = Peek(stack);
                    break;
                case (byte)'r':
                    memo[r.U32()] = Peek(stack);
                    break;
                case 0x94: // MEMOIZE
                    memo[memo.Count] = Peek(stack);
                    break;
                case (byte)'p':
                    memo[Integer(Line(ref r))] = Peek(stack);
                    break;
                case (byte)'h':
                    stack.Add(Get(memo, r.U8()));
                    break;
                case (byte)'j':
                    stack.Add(Get(memo, r.U32()));
                    break;
                case (byte)'g':
                    stack.Add(Get(memo, Integer(Line(ref r))));
                    break;
                case (byte)'I':
                {
                    var text = Line(ref r);
                    stack.Add(text switch
                    {
                        "00" => new PickleScalar(false),
                        "01" => new PickleScalar(true),
                        _ => new PickleScalar(Integer(text)),
                    });
                    break;
                }

                case (byte)'L':
                    stack.Add(new PickleScalar(Integer(Line(ref r).TrimEnd('L'))));
                    break;
                case (byte)'F':
                    stack.Add(new PickleScalar(double.TryParse(Line(ref r), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : double.NaN));
                    break;
                case (byte)'S' or (byte)'V':
                    stack.Add(new PickleScalar(Line(ref r).Trim('\'', '"')));
                    break;
                case 0x82:
                    r.U8();
                    stack.Add(new Opaque("extension"));
                    break;
                case 0x83:
                    r.U16();
                    stack.Add(new Opaque("extension"));
                    break;
                case 0x84:
                    r.U32();
                    stack.Add(new Opaque("extension"));
                    break;
                default:
                    throw new LayoutException($"pickle opcode 0x{op:x2} at {r.Position - 1} is not one torch.save writes.");
            }
        }

        throw new LayoutException($"the pickle runs past {MaxOps} opcodes.");
    }

    /// <summary>Records a call; the two constructors torch's state dicts need are understood, nothing is ever invoked.</summary>
    private static PickleValue Call(PickleValue callable, PickleValue arguments)
    {
        if (callable is PickleGlobal g)
        {
            if (g.Is("collections", "OrderedDict") || g.Is("builtins", "dict") || g.Is("__builtin__", "dict"))
            {
                return new PickleDict();
            }

            if ((g.Is("torch._utils", "_rebuild_parameter") || g.Is("torch._utils", "_rebuild_parameter_with_state"))
                && arguments is PickleTuple { Items.Length: > 0 } t)
            {
                return t.Items[0];
            }
        }

        return new PickleCall(callable, arguments);
    }

    private static void AddPairs(PickleDict dict, List<PickleValue> items)
    {
        for (var i = 0; i + 1 < items.Count; i += 2)
        {
            dict.Items.Add(new(items[i], items[i + 1]));
        }
    }

    private static PickleValue Pop(List<PickleValue> stack)
    {
        var value = Peek(stack);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private static PickleValue Peek(List<PickleValue> stack) =>
        stack.Count > 0 ? stack[^1] : throw new LayoutException("the pickle pops an empty stack.");

    private static List<PickleValue> PopMark(List<PickleValue> stack, Stack<int> marks)
    {
        if (marks.Count == 0 || marks.Peek() > stack.Count)
        {
            throw new LayoutException("the pickle pops to a mark it never set.");
        }

        var start = marks.Pop();
        var items = stack.GetRange(start, stack.Count - start);
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    private static PickleValue Get(Dictionary<long, PickleValue> memo, long key) =>
        memo.TryGetValue(key, out var value) ? value : throw new LayoutException($"the pickle reads memo {key}, which it never stored.");

    private static PickleValue Long(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
        {
            return new Opaque("long");
        }

        long value = 0;
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0)
        {
            value -= 1L << (8 * bytes.Length);
        }

        return new PickleScalar(value);
    }

    private static long Length(long value) => value is >= 0 and <= int.MaxValue ? value : throw new LayoutException($"a pickle length of {value}.");

    private static long Length(ulong value) => value <= int.MaxValue ? (long)value : throw new LayoutException($"a pickle length of {value}.");

    private static long Integer(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw new LayoutException($"'{text}' is not an integer.");

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A newline-terminated argument of the text opcodes (at most 4 KiB).</summary>
    private static string Line(ref HeaderReader r)
    {
        var start = r.Position;
        while (true)
        {
            if (r.U8() == (byte)'\n')
            {
                break;
            }

            if (r.Position - start > 4096)
            {
                throw new LayoutException("a pickle text argument is longer than 4 KiB.");
            }
        }

        var end = r.Position - 1;
        r.Position = start;
        var text = Encoding.UTF8.GetString(r.Take(end - start));
        r.U8();
        return text;
    }
}
