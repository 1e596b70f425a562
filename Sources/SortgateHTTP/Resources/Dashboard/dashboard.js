// sortgate dashboard: plain JavaScript, no build step, no library, nothing fetched from outside
// the gateway (the edge box may be offline). It reads the JSON API (openapi.yaml), listens to
// the live stream (/api/stream, Server-Sent Events) and refreshes everything periodically as
// well, so a dropped stream never leaves the screen stale for long.
//
// Text from the gateway (zone and device names, EPCs, alert details) is always set with
// textContent, never parsed as HTML.
"use strict";

(() => {
    const TOKEN_KEY = "sortgate.token";
    const REFRESH_MS = 10_000;
    const SPARKLINE_REFRESH_MS = 60_000;
    const SPARKLINE_SPAN_MS = 60 * 60 * 1000;
    const FACTS_SHOWN = 50;
    const ZONES_DEBOUNCE_MS = 2_000;

    const state = {
        token: localStorage.getItem(TOKEN_KEY),
        zones: [],
        alerts: [],
        sources: [],
        // sensor -> [{time: ms, celsius}], the last hour up to the newest reading
        series: new Map(),
        stream: null,
        tokenWaiters: null,
        zonesTimer: null,
        factsSeen: 0,
    };

    const $ = (id) => document.getElementById(id);

    // MARK: - API

    class Unauthorized extends Error {}

    async function api(path, options = {}) {
        const headers = { Accept: "application/json", ...(options.headers || {}) };
        if (state.token) headers.Authorization = `Bearer ${state.token}`;
        let response;
        try {
            response = await fetch(path, { ...options, headers, cache: "no-store" });
        } catch (error) {
            setConnection("offline", "gateway unreachable");
            throw error;
        }
        if (response.status === 401) throw new Unauthorized(path);
        if (!response.ok) {
            let detail = "";
            try { detail = (await response.json()).error || ""; } catch (_) { /* not JSON */ }
            throw new Error(`${path}: HTTP ${response.status} ${detail}`);
        }
        return response.json();
    }

    /// Runs `load`; on a 401 asks for the token (once for all waiting calls) and runs it again.
    async function authorized(load) {
        for (;;) {
            try {
                return await load();
            } catch (error) {
                if (!(error instanceof Unauthorized)) throw error;
                await askToken(Boolean(state.token));
            }
        }
    }

    function askToken(refused) {
        if (!state.tokenWaiters) {
            state.tokenWaiters = [];
            setConnection("locked", "token needed");
            $("token-error").hidden = !refused;
            $("token-input").value = "";
            const dialog = $("token-dialog");
            if (!dialog.open) dialog.showModal();
            $("token-input").focus();
        }
        return new Promise((resolve) => state.tokenWaiters.push(resolve));
    }

    function tokenEntered(event) {
        event.preventDefault();
        const token = $("token-input").value.trim();
        if (!token) return;
        state.token = token;
        localStorage.setItem(TOKEN_KEY, token);
        $("token-dialog").close();
        const waiters = state.tokenWaiters || [];
        state.tokenWaiters = null;
        waiters.forEach((resolve) => resolve());
        openStream();
    }

    // MARK: - Field names (as openapi.yaml names them)

    const timeOf = (value) => (value ? Date.parse(value) : NaN);
    const subjectName = (subject) => String(subject || "").replace(/^(zone|sensor|container):/, "");
    const alertZone = (a) => a.zone ?? subjectName(a.subject);
    const alertRaised = (a) => a.confirmed_at ?? a.started_at;
    const alertAcknowledged = (a) => a.status === "acknowledged" || Boolean(a.acknowledged_at);
    const alertActive = (a) => !a.cleared_at && a.status !== "cleared";

    // MARK: - Loading

    async function loadZones() {
        const body = await api("/api/zones");
        state.zones = body.zones || [];
        renderZones();
        renderColdRooms();
        setConnectionFromStream();
    }

    /// Every alert not cleared yet, acknowledged or not: an acknowledged excursion is still an
    /// excursion, so its room stays red (`?active=true` would leave out the acknowledged ones).
    async function loadAlerts() {
        const body = await api("/api/alerts?uncleared=true");
        state.alerts = (body.alerts || []).filter(alertActive);
        renderAlerts();
        renderZones();
        renderColdRooms();
    }

    async function loadSources() {
        const body = await api("/api/sources");
        state.sources = body.sources || [];
        renderSources();
    }

    async function loadSparklines() {
        await Promise.all(coldRooms().map(async (zone) => {
            const latest = zone.temperature;
            if (!latest || !latest.sensor) return;
            const end = timeOf(latest.at);
            if (!Number.isFinite(end)) return;
            const from = new Date(end - SPARKLINE_SPAN_MS).toISOString();
            const to = new Date(end + 1).toISOString();
            const sensor = encodeURIComponent(latest.sensor);
            const body = await api(`/api/sensors/${sensor}/readings?from=${from}&to=${to}`);
            const points = body.readings
                ? body.readings.map((r) => ({ time: timeOf(r.at), celsius: r.celsius }))
                : (body.per_minute || []).map((m) => ({ time: timeOf(m.minute), celsius: m.avg_celsius }));
            state.series.set(latest.sensor, points.filter((p) => Number.isFinite(p.time)));
        }));
        renderColdRooms();
    }

    async function refreshAll() {
        try {
            await authorized(() => Promise.all([loadZones(), loadAlerts(), loadSources()]));
            await authorized(loadSparklines);
        } catch (error) {
            console.error(error);
        }
    }

    /// A fact changes a zone's count and a device's counters: reload both, at most once per
    /// ZONES_DEBOUNCE_MS.
    function zonesChanged() {
        if (state.zonesTimer) return;
        state.zonesTimer = setTimeout(() => {
            state.zonesTimer = null;
            authorized(() => Promise.all([loadZones(), loadSources()])).catch(console.error);
        }, ZONES_DEBOUNCE_MS);
    }

    // MARK: - Live stream

    function openStream() {
        if (state.stream) state.stream.close();
        const query = state.token ? `?token=${encodeURIComponent(state.token)}` : "";
        const stream = new EventSource(`/api/stream${query}`);
        state.stream = stream;
        stream.onopen = () => setConnection("live", "live");
        stream.onerror = () => {
            if (stream.readyState === EventSource.CLOSED) {
                // Refused (a 401 closes an EventSource for good): the next periodic refresh asks
                // for the token if the API refuses it too, and opens the stream again.
                setConnection("offline", "stream closed");
            } else {
                setConnection("connecting", "reconnecting…");
            }
        };
        stream.addEventListener("fact", (event) => {
            const fact = parse(event.data);
            if (!fact) return;
            addFact(fact.kind, fact.epc, fact.from_zone, fact.zone, fact.time);
            zonesChanged();
        });
        stream.addEventListener("alert", (event) => {
            const alert = parse(event.data);
            if (alert) {
                const verb = alertAcknowledged(alert) && alertActive(alert) ? "acknowledged"
                    : alertActive(alert) ? "raised" : "cleared";
                addFact("alert", `${alert.kind} ${verb}`, null, alertZone(alert), alert.cleared_at ?? alertRaised(alert));
            }
            authorized(loadAlerts).catch(console.error);
        });
        stream.addEventListener("reading", (event) => {
            const reading = parse(event.data);
            if (!reading || typeof reading.celsius !== "number") return;
            addReading(reading);
        });
    }

    function parse(text) {
        try { return JSON.parse(text); } catch (_) { return null; }
    }

    function addReading(reading) {
        const time = timeOf(reading.at);
        if (!Number.isFinite(time)) return;
        const zone = state.zones.find((z) => z.zone === reading.zone || (z.temperature && z.temperature.sensor === reading.sensor));
        if (zone) zone.temperature = reading;
        const points = state.series.get(reading.sensor) || [];
        points.push({ time, celsius: reading.celsius });
        while (points.length && points[0].time < time - SPARKLINE_SPAN_MS) points.shift();
        state.series.set(reading.sensor, points);
        renderColdRooms();
    }

    // MARK: - Rendering

    function element(tag, className, text) {
        const node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = text;
        return node;
    }

    const coldRooms = () => state.zones.filter((z) => z.type === "cold-room" || z.temperature);
    const alarmedZones = () => new Set(state.alerts.map(alertZone));

    function renderZones() {
        const alarmed = alarmedZones();
        const list = $("zones");
        list.replaceChildren(...state.zones.map((zone) => {
            const item = element("li", "zone");
            item.dataset.zone = zone.zone;
            item.dataset.present = String(zone.present ?? 0);
            item.dataset.alarm = String(alarmed.has(zone.zone) || (zone.active_alerts ?? 0) > 0);
            item.append(element("span", "name", zone.zone), element("span", "type", zone.type),
                element("span", "present", String(zone.present ?? 0)));
            return item;
        }));
    }

    function renderColdRooms() {
        const alarmed = alarmedZones();
        const list = $("coldrooms");
        list.replaceChildren(...coldRooms().map((zone) => {
            const item = element("li", "coldroom");
            item.dataset.zone = zone.zone;
            item.dataset.alarm = String(alarmed.has(zone.zone) || (zone.active_alerts ?? 0) > 0);
            const title = element("div");
            title.append(element("span", "name", zone.zone));
            if (zone.class) title.append(element("span", "class", zone.class));
            const reading = zone.temperature;
            const celsius = reading && typeof reading.celsius === "number" ? `${reading.celsius.toFixed(1)} °C` : "– °C";
            const value = element("span", "celsius", celsius);
            if (reading) value.dataset.celsius = String(reading.celsius);
            item.append(title, value);
            if (reading) item.append(element("span", "when", `${reading.sensor} · ${age(reading.at)}`));
            item.append(sparkline(reading ? state.series.get(reading.sensor) || [] : []));
            return item;
        }));
    }

    /// An inline SVG line of the last hour's readings (of what there is, when the sensor has been
    /// read for less than an hour), scaled to their own range (at least 2 °C tall, so sensor noise
    /// does not look like a swing).
    function sparkline(points) {
        const svgNS = "http://www.w3.org/2000/svg";
        const svg = document.createElementNS(svgNS, "svg");
        svg.setAttribute("class", "sparkline");
        svg.setAttribute("viewBox", "0 0 300 60");
        svg.setAttribute("preserveAspectRatio", "none");
        svg.setAttribute("role", "img");
        svg.dataset.points = String(points.length);
        if (points.length < 2) {
            svg.setAttribute("aria-label", "not enough readings for a line yet");
            return svg;
        }
        const end = points[points.length - 1].time;
        const start = Math.max(points[0].time, end - SPARKLINE_SPAN_MS);
        const span = Math.max(end - start, 1);
        let low = Math.min(...points.map((p) => p.celsius));
        let high = Math.max(...points.map((p) => p.celsius));
        if (high - low < 2) {
            const middle = (high + low) / 2;
            low = middle - 1;
            high = middle + 1;
        }
        const x = (time) => ((Math.max(time, start) - start) / span) * 300;
        const y = (celsius) => 56 - ((celsius - low) / (high - low)) * 52;
        const line = document.createElementNS(svgNS, "polyline");
        line.setAttribute("points", points.map((p) => `${x(p.time).toFixed(1)},${y(p.celsius).toFixed(1)}`).join(" "));
        svg.append(line);
        svg.setAttribute("aria-label", `from ${low.toFixed(1)} to ${high.toFixed(1)} °C over the last hour`);
        return svg;
    }

    function renderAlerts() {
        const list = $("alerts");
        list.replaceChildren(...state.alerts.map((alert) => {
            const item = element("li", "alert");
            item.dataset.alertId = String(alert.id);
            item.dataset.zone = alertZone(alert);
            item.dataset.kind = alert.kind;
            item.dataset.acknowledged = String(alertAcknowledged(alert));
            item.append(element("span", "what", `${alertZone(alert)}: ${describeKind(alert.kind)}`));
            const detail = element("span", "detail");
            if (typeof alert.peak_celsius === "number") {
                detail.append(element("span", "peak", `peak ${alert.peak_celsius.toFixed(1)} °C`), " · ");
            }
            detail.append(`since ${clockTime(alertRaised(alert))} (${age(alertRaised(alert))})`);
            detail.append(` · ${describeSubject(alert.subject)}`);
            if (alertAcknowledged(alert)) {
                detail.append(" · ", element("span", "acked", "acknowledged"));
            }
            item.append(detail);
            if (!alertAcknowledged(alert)) {
                const button = element("button", "ack", "Ack");
                button.type = "button";
                button.addEventListener("click", () => acknowledge(alert, button));
                item.append(button);
            }
            return item;
        }));
        $("alert-count").textContent = String(state.alerts.length);
        $("alerts-empty").hidden = state.alerts.length > 0;
        document.querySelector(".alerts").dataset.active = String(state.alerts.some((a) => !alertAcknowledged(a)));
    }

    /// `sensor:NAME` → "sensor NAME", `zone:NAME` → "whole room", `container:EPC` → "container EPC".
    function describeSubject(subject) {
        const [scope, ...rest] = String(subject || "").split(":");
        const name = rest.join(":");
        switch (scope) {
            case "sensor": return `sensor ${name}`;
            case "container": return `container ${name}`;
            case "zone": return "whole zone";
            default: return subject || "";
        }
    }

    function describeKind(kind) {
        switch (kind) {
            case "excursion-high": return "too warm";
            case "excursion-low": return "too cold";
            case "cumulative": return "too long out of range";
            case "sensor-offline": return "sensor offline";
            default: return kind;
        }
    }

    async function acknowledge(alert, button) {
        button.disabled = true;
        try {
            await authorized(() => api(`/api/alerts/${encodeURIComponent(alert.id)}/ack`, { method: "POST" }));
            await authorized(loadAlerts);
        } catch (error) {
            console.error(error);
            button.disabled = false;
        }
    }

    function renderSources() {
        const body = $("devices");
        body.replaceChildren(...state.sources.map((source) => {
            const row = element("tr", "device");
            row.dataset.device = source.device;
            row.dataset.connected = String(Boolean(source.connected));
            row.dataset.rejected = String((source.rejected ?? 0) > 0);
            const last = source.last_message;
            row.append(
                element("td", "name", source.device),
                element("td", "state", source.connected ? "online" : "offline"),
                element("td", "age", last ? age(last) : "never"),
                element("td", "number messages", String(source.messages ?? 0)),
                element("td", "number rejected", String(source.rejected ?? 0)),
            );
            const age_ = row.querySelector(".age");
            if (last) age_.dataset.since = last;
            return row;
        }));
    }

    function addFact(kind, subject, from, to, time) {
        const list = $("facts");
        const item = element("li", "fact");
        item.dataset.kind = kind;
        const when = element("time", null, clockTime(time));
        if (time) when.dateTime = time;
        const where = from && to ? `${from} → ${to}` : (to || from || "");
        item.append(when, element("span", "kind", kind), element("span", "where", where));
        if (subject) item.append(element("span", "epc", subject));
        list.prepend(item);
        while (list.children.length > FACTS_SHOWN) list.lastElementChild.remove();
        state.factsSeen += 1;
        list.dataset.seen = String(state.factsSeen);
        $("facts-empty").hidden = true;
    }

    // MARK: - Time

    function clockTime(value) {
        const time = timeOf(value);
        if (!Number.isFinite(time)) return "–";
        return new Date(time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    }

    function age(value) {
        const time = timeOf(value);
        if (!Number.isFinite(time)) return "–";
        const seconds = Math.max(0, Math.round((Date.now() - time) / 1000));
        if (seconds < 90) return `${seconds} s ago`;
        if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
        if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`;
        return `${Math.round(seconds / 86400)} d ago`;
    }

    function tick() {
        $("clock").textContent = new Date().toLocaleTimeString([], { hour12: false });
        document.querySelectorAll(".device .age[data-since]").forEach((cell) => { cell.textContent = age(cell.dataset.since); });
    }

    function setConnection(stateName, text) {
        const badge = $("connection");
        badge.dataset.state = stateName;
        badge.textContent = text;
    }

    function setConnectionFromStream() {
        if (state.stream && state.stream.readyState === EventSource.OPEN) setConnection("live", "live");
    }

    // MARK: - Start

    function start() {
        $("token-form").addEventListener("submit", tokenEntered);
        $("token-dialog").addEventListener("cancel", (event) => event.preventDefault());
        tick();
        setInterval(tick, 1_000);
        refreshAll().then(() => openStream());
        setInterval(() => {
            authorized(() => Promise.all([loadZones(), loadAlerts(), loadSources()]))
                .then(() => {
                    if (!state.stream || state.stream.readyState === EventSource.CLOSED) openStream();
                })
                .catch(console.error);
        }, REFRESH_MS);
        setInterval(() => authorized(loadSparklines).catch(console.error), SPARKLINE_REFRESH_MS);
    }

    start();
})();
