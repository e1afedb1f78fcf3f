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
}
