import CMosquittoBare
import Dispatch
import Foundation
import SortgateCore
import Synchronization

/// CPU time of this process so far (user + system), in microseconds.
func processCPUMicroseconds() -> Int64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

/// The monotonic clock (`CLOCK_MONOTONIC` on Linux) in nanoseconds. Through Dispatch: a debug build
/// takes `timespec` for CDispatch's, which member import visibility then hides.
func monotonicNanoseconds() -> Int64 {
    Int64(DispatchTime.now().uptimeNanoseconds)
}

/// What one subscriber run measured, printed by the child as one line of JSON.
struct SubscriberResult: Codable {
    var received: Int
    var seconds: Double
    var cpuMicroseconds: Int64
    /// CPU from the first message received to the last (the gateway: to its commit): what a paced
    /// load costs, without the connection's start-up and the wait for the publisher.
    var loadCPUMicroseconds: Int64? = nil
    /// Facts (arrivals, moves, departures) the gateway made.
    var facts: UInt64? = nil
    var commitP50Microseconds: UInt64? = nil
    var commitP99Microseconds: UInt64? = nil
    var commitMaxMicroseconds: UInt64? = nil
    var ringDropped: UInt64? = nil
    var ringHighWaterSlots: Int? = nil
    var rejected: UInt64? = nil
    var arrivals: UInt64? = nil
    var flushP99Microseconds: UInt64? = nil
    var flushMaxMicroseconds: UInt64? = nil
    var flushes: UInt64? = nil
    /// Alerts received on the alert topic whose confirming reading arrived under load, by transition.
    var alertsRaised: Int? = nil
    var alertsCleared: Int? = nil
    var alertsOther: Int? = nil
    /// Confirming reading's arrival → alert received by a subscriber on the alert topic.
    var alertP50Microseconds: UInt64? = nil
    var alertP99Microseconds: UInt64? = nil
    var alertMaxMicroseconds: UInt64? = nil
    /// With `--central`: each batch's local commit → its central commit, and the batches shipped.
    var shipLagP50Microseconds: UInt64? = nil
    var shipLagP99Microseconds: UInt64? = nil
    var shipLagMaxMicroseconds: UInt64? = nil
    var shippedBatches: Int? = nil
    var shippedRows: Int? = nil
    var unshippedBatches: Int? = nil
}

/// The ceiling: a bare libmosquitto subscriber whose message callback only counts, on the
/// same network loop settings as the gateway's client (`mosquitto_loop` with `max_packets = 1`).
final class BareSubscriber {
    var received = 0
    var cpuAtFirstMessage: Int64 = -1
    var connectedAt: Int64 = 0
    var lastAt: Int64 = 0
    var subscribed = false

    /// Connects with a persistent session; with `primeOnly`, subscribes and leaves (so the broker
    /// queues what is published meanwhile), else drains `expected` messages (or stops after
    /// `idle` seconds without one).
    func run(port: Int, clientID: String, qos: Int, expected: Int, primeOnly: Bool, idle: Double) -> SubscriberResult {
        mosquitto_lib_init()
        let mosq = mosquitto_new(clientID, false, Unmanaged.passUnretained(self).toOpaque())!
        mosquitto_connect_callback_set(mosq) { mosq, userdata, rc in
            let me = Unmanaged<BareSubscriber>.fromOpaque(userdata!).takeUnretainedValue()
            me.connectedAt = monotonicNanoseconds()
            mosquitto_subscribe(mosq, nil, "readers/+/events", Int32(benchQoS))
        }
        mosquitto_subscribe_callback_set(mosq) { _, userdata, _, _, _ in
            Unmanaged<BareSubscriber>.fromOpaque(userdata!).takeUnretainedValue().subscribed = true
        }
        mosquitto_message_callback_set(mosq) { _, userdata, _ in
            let me = Unmanaged<BareSubscriber>.fromOpaque(userdata!).takeUnretainedValue()
            if me.received == 0 { me.cpuAtFirstMessage = processCPUMicroseconds() }
            me.received += 1
            me.lastAt = monotonicNanoseconds()
        }
        benchQoS = qos
        guard mosquitto_connect(mosq, "127.0.0.1", Int32(port), 60) == MOSQ_ERR_SUCCESS.rawValue else {
            fatalError("bare subscriber cannot connect to 127.0.0.1:\(port)")
        }
        var cpuStart: Int64 = -1
        var lastProgress = monotonicNanoseconds()
        var lastCount = 0
        while true {
            let rc = mosquitto_loop(mosq, 100, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue { fatalError("bare subscriber: mosquitto_loop returned \(rc)") }
            if cpuStart < 0 && connectedAt != 0 { cpuStart = processCPUMicroseconds() }
            if primeOnly && subscribed { break }
            if received >= expected && expected > 0 { break }
            let now = monotonicNanoseconds()
            if received != lastCount {
                lastCount = received
                lastProgress = now
            } else if Double(now - lastProgress) / 1e9 > idle {
                break
            }
        }
        let now = processCPUMicroseconds()
        let cpu = now - max(cpuStart, 0)
        mosquitto_disconnect(mosq)
        _ = mosquitto_loop(mosq, 100, 1)
        mosquitto_destroy(mosq)
        return SubscriberResult(
            received: received,
            seconds: Double(max(lastAt - connectedAt, 1)) / 1e9,
            cpuMicroseconds: cpu,
            loadCPUMicroseconds: cpuAtFirstMessage < 0 ? nil : now - cpuAtFirstMessage
        )
    }
}

/// The QoS the bare subscriber's connect callback subscribes with (C callbacks capture nothing).
nonisolated(unsafe) var benchQoS = 0

/// A libmosquitto publisher sending the workload's messages as fast as the broker takes them.
enum Publisher {
    static let acknowledged = Atomic<Int>(0)

    /// Publishes every message of `workload`; with `rate` (messages per second), paced in 1 ms steps.
    static func run(port: Int, qos: Int, workload: Workload, rate: Int? = nil) -> Double {
        mosquitto_lib_init()
        let mosq = mosquitto_new("bench-publisher", true, nil)!
        mosquitto_max_inflight_messages_set(mosq, 1000)
        mosquitto_publish_callback_set(mosq) { _, _, _ in Publisher.acknowledged.add(1, ordering: .relaxed) }
        guard mosquitto_connect(mosq, "127.0.0.1", Int32(port), 60) == MOSQ_ERR_SUCCESS.rawValue else {
            fatalError("publisher cannot connect to 127.0.0.1:\(port)")
        }
        mosquitto_loop_start(mosq)
        let base = EventTime(nanoseconds: (Int64(Date().timeIntervalSince1970) - 3600) * 1_000_000_000)
        let start = monotonicNanoseconds()
        var index = 0
        while index < workload.messages {
            if let rate {
                // Not ahead of the schedule: message i is due at start + i / rate.
                let due = start + Int64(index) * 1_000_000_000 / Int64(rate)
                var now = monotonicNanoseconds()
                while due > now {
                    usleep(UInt32(min((due - now) / 1000, 1000)))
                    now = monotonicNanoseconds()
                }
            }
            let (topic, payload) = workload.message(index, base: base)
            let rc = payload.withUnsafeBytes {
                mosquitto_publish(mosq, nil, topic, Int32($0.count), $0.baseAddress, Int32(qos), false)
            }
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                index += 1
            } else if rc == MOSQ_ERR_NOMEM.rawValue || rc == MOSQ_ERR_OVERSIZE_PACKET.rawValue {
                fatalError("publish failed: \(rc)")
            } else {
                usleep(100)
            }
            // Keep at most 20 000 messages in libmosquitto's outgoing queue.
            while index - Publisher.acknowledged.load(ordering: .relaxed) > 20_000 { usleep(200) }
        }
        while Publisher.acknowledged.load(ordering: .relaxed) < workload.messages { usleep(1000) }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        mosquitto_disconnect(mosq)
        mosquitto_loop_stop(mosq, false)
        mosquitto_destroy(mosq)
        return seconds
    }
}
