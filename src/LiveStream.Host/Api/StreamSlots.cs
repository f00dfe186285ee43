using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public sealed class StreamLimitOptions
{
    public const string Section = "StreamLimits";

    /// <summary>Open live feeds (SSE) one user may hold on one API process: a few tabs, not a connection flood.</summary>
    [Range(1, 1_000)]
    public int MaxStreamsPerUser { get; set; } = 5;

    /// <summary>Open live feeds on one API process, whoever holds them: each costs a connection, a buffer and a channel.</summary>
    [Range(1, 1_000_000)]
    public int MaxStreamsPerProcess { get; set; } = 5_000;
}

/// <summary>
/// The open SSE streams of this API process, per user and in all. The caps hold per process: a user spread over N
/// processes may hold N times <see cref="StreamLimitOptions.MaxStreamsPerUser"/>, which the process-wide cap still bounds.
/// Counting per process needs no cluster round-trip and cannot leak a slot when a process dies.
/// </summary>
public sealed class StreamSlots(IOptions<StreamLimitOptions> options)
{
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _total;

    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>A slot to dispose when the stream ends, or null with the limit that refused it.</summary>
    public (IDisposable? Slot, string? Refused) TryAcquire(string userId)
    {
        var limits = options.Value;
        lock (_gate)
        {
            if (_total >= limits.MaxStreamsPerProcess)
            {
                return (null, $"This server has {_total} open live feeds, its limit (MaxStreamsPerProcess); retry shortly.");
            }

            var held = _perUser.GetValueOrDefault(userId);
            if (held >= limits.MaxStreamsPerUser)
            {
                return (null, $"You have {held} open live feeds, the most allowed (MaxStreamsPerUser); close one first.");
            }

            _perUser[userId] = held + 1;
            _total++;
            return (new Slot(this, userId), null);
        }
    }

    private void Release(string userId)
    {
        lock (_gate)
        {
            _total--;
            if (_perUser[userId] is var held && held <= 1)
            {
                _perUser.Remove(userId);
            }
            else
            {
                _perUser[userId] = held - 1;
            }
        }
    }

    private sealed class Slot(StreamSlots owner, string userId) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            // The stream's end and the request's end both dispose it; only the first gives the slot back.
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(userId);
            }
        }
    }
}
