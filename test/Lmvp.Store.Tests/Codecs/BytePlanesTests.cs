using Lmvp.Store.Codecs;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Codecs;

[TestFixture]
public sealed class BytePlanesTests
{
    [Test]
    public void SplitThenJoin_GivesTheValuesBack_ForEveryWidthAndLength([Values(2, 4)] int width)
    {
        foreach (var count in new[] { 0, 1, 3, 15, 16, 17, 31, 32, 33, 100, 1000, 16384 })
        {
            var values = TestData.Random(count * width, count + width);
            var planes = new byte[values.Length];
            BytePlanes.Split(values, width, planes);
            var back = new byte[values.Length];
            BytePlanes.Join(planes, width, count, back);
            back.Should().Equal(values, "width {0}, {1} values", width, count);
        }
    }

    [Test]
    public void Split_PutsByteKOfEveryValueInPlaneK([Values(2, 4)] int width)
    {
        const int count = 77; // vector blocks of 16 and a scalar tail
        var values = TestData.Random(count * width, 7);
        var planes = new byte[values.Length];
        BytePlanes.Split(values, width, planes);
        for (var i = 0; i < count; i++)
        {
            for (var k = 0; k < width; k++)
            {
                planes[(k * count) + i].Should().Be(values[(i * width) + k]);
            }
        }
    }

    [Test]
    public void JoinFromSeparatePlanes_EqualsJoinFromContiguousPlanes([Values(2, 4)] int width)
    {
        foreach (var count in new[] { 0, 1, 15, 16, 17, 100, 4099 })
        {
            var values = TestData.Random(count * width, count + 11);
            var planes = new byte[values.Length];
            BytePlanes.Split(values, width, planes);
            // Each plane in a buffer of its own, at an odd offset, as raw planes lie inside a stored chunk.
            var separate = Enumerable.Range(0, width).Select(k => new byte[count + 3]).ToArray();
            for (var k = 0; k < width; k++)
            {
                planes.AsSpan(k * count, count).CopyTo(separate[k].AsSpan(3));
            }

            var back = new byte[values.Length];
            if (width == 4)
            {
                BytePlanes.Join4(separate[0].AsSpan(3), separate[1].AsSpan(3), separate[2].AsSpan(3), separate[3].AsSpan(3), back);
            }
            else
            {
                BytePlanes.Join2(separate[0].AsSpan(3), separate[1].AsSpan(3), back);
            }

            back.Should().Equal(values, "width {0}, {1} values", width, count);
        }
    }
}
