using System.Runtime.ExceptionServices;

namespace Striate.Data;

/// <summary>
/// Assembles the batches of one epoch on worker threads and hands them to the consumer in order. Workers take
/// batch numbers in turn and run at most <c>depth</c> batches ahead of the one the consumer is using, so memory
/// stays bounded; slot b % (depth + 2) holds batch b, leaving the consumer's current batch and the one before
/// it untouched. A batch's content depends only on its number, never on which worker made it. The first
/// exception a worker meets stops the others and is rethrown, unchanged, by the consumer's next
/// <see cref="Take"/>. Disposing stops the workers and waits for them.
/// </summary>
internal sealed class BatchPipeline : IDisposable
{
    private readonly object _gate = new();
    private readonly Func<int, int, Batch> _make;
    private readonly int _batches, _depth;
    private readonly Batch?[] _ready;
    private readonly int[] _readyNumber;
    private readonly Thread[] _threads;
    private int _next, _consumed;
    private bool _stopped;
    private ExceptionDispatchInfo? _error;

    /// <param name="batches">Batches in the epoch.</param>
    /// <param name="workers">Threads to start (no more than there are batches).</param>
    /// <param name="depth">How far ahead of the consumer's current batch the workers may go.</param>
    /// <param name="make">Builds batch (number, slot) into the slot's buffers.</param>
    public BatchPipeline(int batches, int workers, int depth, Func<int, int, Batch> make)
    {
        _batches = batches;
        _depth = depth;
        _make = make;
        Slots = depth + 2;
        _ready = new Batch?[Slots];
        _readyNumber = Enumerable.Repeat(-1, Slots).ToArray();
        _threads = new Thread[Math.Min(workers, batches)];
        for (int i = 0; i < _threads.Length; i++)
        {
            // Background threads: a consumer that abandons an epoch without disposing it cannot keep the process alive.
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"Striate loader worker {i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Buffers the batches rotate through.</summary>
    public int Slots { get; }

    private void Work()
    {
        while (true)
        {
            int b;
            lock (_gate)
            {
                while (!_stopped && _next < _batches && _next > _consumed + _depth) Monitor.Wait(_gate);
                if (_stopped || _next >= _batches) return;
                b = _next++;
            }
            Batch batch;
            try
            {
                batch = _make(b, b % Slots);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _error ??= ExceptionDispatchInfo.Capture(e);
                    _stopped = true;
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            lock (_gate)
            {
                _ready[b % Slots] = batch;
                _readyNumber[b % Slots] = b;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Batch <paramref name="b"/>, waiting for it; batches must be taken in order.</summary>
    public Batch Take(int b)
    {
        lock (_gate)
        {
            _consumed = b;
            Monitor.PulseAll(_gate);
            while (_readyNumber[b % Slots] != b && _error is null) Monitor.Wait(_gate);
            _error?.Throw();
            return _ready[b % Slots]!;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var t in _threads) t.Join();
    }
}
