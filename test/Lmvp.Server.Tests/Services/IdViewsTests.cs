using Lmvp.Server.Services;
using Lmvp.Store;

namespace Lmvp.Server.Tests.Services;

/// <summary>The id views a push's checks read chunk ids through: the same ids, in the same order, as copying them would give.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class IdViewsTests
{
    [Test]
    public void ChunksOf_ManyFiles_WithEmptyOnes_ListsEveryChunkInManifestOrder()
    {
        var next = 0;
        FileManifest File(int chunks)
        {
            var refs = Enumerable.Range(0, chunks).Select(_ => new ChunkRef(ObjectId.Compute(BitConverter.GetBytes(next++)), 1)).ToArray();
            return new FileManifest(ObjectId.Compute(BitConverter.GetBytes(-next)), chunks, refs);
        }

        FileManifest[] files = [File(0), File(3), File(0), File(0), File(1), File(2), File(0)];
        var expected = files.SelectMany(f => f.Chunks.Select(c => c.Id)).ToList();

        var view = IdViews.ChunksOf(files);

        view.Count.Should().Be(6);
        Enumerable.Range(0, view.Count).Select(i => view[i]).Should().Equal(expected);
        view.Should().Equal(expected);
        FluentActions.Invoking(() => view[6]).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => view[-1]).Should().Throw<ArgumentOutOfRangeException>();
        IdViews.ChunksOf([files[1]]).Should().Equal(expected.Take(3));
        IdViews.ChunksOf([]).Should().BeEmpty();
    }

    [Test]
    public void Range_IsThatPartOfTheList_AndRefusesOneOutsideIt()
    {
        var ids = Enumerable.Range(0, 10).Select(i => ObjectId.Compute(BitConverter.GetBytes(i))).ToList();

        IdViews.Range(ids, 3, 4).Should().Equal(ids.GetRange(3, 4));
        IdViews.Range(IdViews.Range(ids, 2, 8), 1, 2).Should().Equal(ids.GetRange(3, 2));
        IdViews.Range(ids, 0, 10).Should().BeSameAs(ids);
        IdViews.Range(ids, 10, 0).Should().BeEmpty();
        FluentActions.Invoking(() => IdViews.Range(ids, 8, 3)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => IdViews.Range(ids, 3, 4)[4]).Should().Throw<ArgumentOutOfRangeException>();
    }
}
