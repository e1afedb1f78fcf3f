namespace Lmvp.Store;

/// <summary>A hyperparameter's value: a number or a string (<c>lr=3e-4</c>, <c>optimizer=adamw</c>).</summary>
/// <remarks>Numbers are 64-bit floats (integers up to 2^53 are exact); NaN is stored as one canonical NaN.
/// <c>default</c> is the number 0.</remarks>
public readonly struct ParamValue : IEquatable<ParamValue>
{
    private readonly string? _text;
    private readonly double _number;

    private ParamValue(double number, string? text)
    {
        _number = text is null ? MetricValues.Canonical(number) : 0;
        _text = text;
    }

    /// <summary>True for a number, false for a string.</summary>
    public bool IsNumber => _text is null;

    /// <summary>The number (0 for a string).</summary>
    public double Number => _number;

    /// <summary>The string, or null for a number.</summary>
    public string? Text => _text;

    /// <summary>A number value.</summary>
    public static ParamValue FromNumber(double value) => new(value, null);

    /// <summary>A string value.</summary>
    public static ParamValue FromString(string value) => new(0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A number value.</summary>
    public static implicit operator ParamValue(double value) => FromNumber(value);

    /// <summary>A string value.</summary>
    public static implicit operator ParamValue(string value) => FromString(value);

    /// <summary>Equal kind and value (numbers as stored: NaN equals NaN).</summary>
    public static bool operator ==(ParamValue left, ParamValue right) => left.Equals(right);

    /// <summary>Different kind or value.</summary>
    public static bool operator !=(ParamValue left, ParamValue right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(ParamValue other) =>
        IsNumber ? other.IsNumber && MetricValues.SameValue(_number, other._number) : string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParamValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => IsNumber ? BitConverter.DoubleToUInt64Bits(_number).GetHashCode() : StringComparer.Ordinal.GetHashCode(_text!);

    /// <summary>The number in full (<see cref="MetricValues.Format"/>), or the string as it is.</summary>
    public override string ToString() => _text ?? MetricValues.Format(_number);
}
