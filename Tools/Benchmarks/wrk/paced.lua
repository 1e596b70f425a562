-- Paces wrk, which has no rate option, to a fixed request rate over all its connections, and prints
-- its figures as one line the HTTP load benchmark reads (`make bench-http`).
--
--   wrk -t1 -c CONNECTIONS -d SECONDS -s paced.lua URL -- RATE CONNECTIONS
--
-- Each request waits `gap` milliseconds on its connection before it is sent; once a second the gap
-- is scaled by the rate the last whole second achieved (a response's own latency lengthens the
-- cycle), so the rate converges on RATE. wrk's delays are whole milliseconds: the gap is rounded
-- up or down at random in proportion, so that its mean is the fractional gap. One thread (-t1):
-- the pacing state is that thread's.

local target, gap, second, count, settled

function init(args)
    target = tonumber(args[1])
    local connections = tonumber(args[2])
    gap = connections * 1000 / target
    second, count, settled = os.time(), 0, false
end

function delay()
    local now = os.time()
    if now ~= second then
        -- The first second is partial (it began when wrk started): it sets no rate.
        if settled and now == second + 1 and count > 0 then
            gap = math.min(gap * count / target, 10 * gap + 1)
        end
        settled = true
        second, count = now, 0
    end
    count = count + 1
    local whole = math.floor(gap)
    if math.random() < gap - whole then whole = whole + 1 end
    return whole
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
        errors.connect + errors.read + errors.write + errors.status + errors.timeout
    ))
end
