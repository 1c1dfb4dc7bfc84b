/*
 * Injected into the page before the webview bundle (Playwright addInitScript): plays the
 * extension host. It answers the webview's `ready` with an `init` of N Deferreds, then posts
 * `delta` messages the way the host does (window messages) and measures, per delta, the time
 * from posting to the first frame painted with it, plus frame gaps, long tasks and input latency.
 * Nothing here ships; it only drives dist/webview.js as VS Code would.
 */
(() => {
  const posted = [];
  let stateSaved = null;
  let readyResolve;
  const ready = new Promise((resolve) => (readyResolve = resolve));
  window.acquireVsCodeApi = () => ({
    postMessage(message) {
      posted.push(message);
      if (message && message.type === 'ready') readyResolve();
    },
    getState: () => stateSaved,
    setState: (s) => (stateSaved = s),
  });
  // ?baseline: the webview gets every message but only deserialises it (reads event.data), so
  // the CPU measured is the stand-in host's and the message delivery's alone.
  if (location.search.includes('baseline')) {
    const add = window.addEventListener.bind(window);
    window.addEventListener = (type, listener, options) =>
      add(
        type,
        type === 'message' ? (event) => (event.data && event.data.type === 'init' ? listener(event) : void event.data) : listener,
        options,
      );
  }
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

  /** Resolves after the next frame has been painted (rAF, then a task after rendering). */
  const afterPaint = () =>
    new Promise((resolve) => {
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now());
        channel.port2.postMessage(null);
      });
    });

  const percentile = (values, p) => {
    if (!values.length) return null;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  };
  const summary = (values) => ({
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : null,
  });

  let seq = 0;
  const now = Date.now();
  function view(id, over) {
    return {
      id,
      type: 'Deferred',
      label: null,
      called: false,
      hasResult: false,
      result: null,
      callbacks: [],
      paused: 0,
      waitingOn: null,
      cancelled: false,
      created: { file: '/bench/app.py', line: id % 500, function: `make_${id % 37}` },
      createdAt: now,
      firedAt: null,
      members: null,
      coroutine: null,
      timer: null,
      name: null,
      status: 'pending',
      collected: false,
      collectedAt: null,
      unhandledFailure: null,
      lastSeq: ++seq,
      ...over,
    };
  }
  const pair = (name) => ({ callback: { name, file: '/bench/app.py', line: 7 }, errback: null, continues: null });

  /** 10,000 Deferreds shaped like a busy program: chains, DeferredLists with members, loose ones. */
  function population(total) {
    const all = [];
    let id = 1;
    const chains = Math.floor(total * 0.1);
    for (let i = 0; i < chains; i++, id += 2) {
      all.push(
        view(id, {
          waitingOn: id + 1,
          status: 'waiting',
          called: true,
          hasResult: true,
          result: { kind: 'deferred', id: id + 1 },
          callbacks: [pair('on_done')],
        }),
      );
      all.push(view(id + 1, { callbacks: [{ callback: null, errback: null, continues: id }] }));
    }
    const lists = Math.floor(total * 0.05);
    for (let i = 0; i < lists; i++) {
      const members = Array.from({ length: 9 }, (_, k) => id + 1 + k);
      all.push(view(id, { type: 'DeferredList', members }));
      for (const m of members) all.push(view(m, { callbacks: [pair('collect')] }));
      id += 10;
    }
    while (all.length < total) all.push(view(id++, { callbacks: [pair('step'), pair('finish')] }));
    return all;
  }

  const header = (n) => ({
    sessionId: 's1',
    pending: n,
    fired: 0,
    failed: 0,
    collected: 0,
    dropped: 0,
    ephemeral: 0,
    error: null,
    lastMarker: null,
  });

  window.__bench = {
    header,
    posted,
    violations,
    /** Waits for the handshake, posts init and returns the time until it is painted. */
    async init(total) {
      await ready;
      window.__population = population(total);
      const t0 = performance.now();
      window.postMessage(
        {
          type: 'init',
          version: 1,
          activeSessionId: 's1',
          header: header(total),
          deferreds: window.__population,
          sessions: [{ id: 's1', name: 'bench.py', parentId: null, pid: 1, state: 'running', notice: null }],
        },
        '*',
      );
      while (!document.querySelector('[role="treeitem"]')) await new Promise((r) => setTimeout(r, 1));
      const t1 = await afterPaint();
      return { initPaintedMs: t1 - t0, domRows: document.querySelectorAll('[role="treeitem"]').length };
    },

    /**
     * A debugger stop: the host sends the exact state as one `full` message. Times it from
     * posting to the frame painted with it (the stop's first row shows a marker result).
     */
    async stop(total) {
      const stopped = population(total).map((d) => ({
        ...d,
        result: { kind: 'value', typeName: 'int', repr: 'stop', truncated: false },
        hasResult: true,
      }));
      const t0 = performance.now();
      window.postMessage({ type: 'full', sessionId: 's1', header: header(total), deferreds: stopped }, '*');
      while (document.querySelector('[role="treeitem"] .cell-result')?.textContent !== 'stop')
        await new Promise((r) => requestAnimationFrame(r));
      return (await afterPaint()) - t0;
    },

    /**
     * Streams `eventsPerSecond` upserts for `seconds` in deltas of `perDelta`. Each delta also
     * changes the first visible row's result to its own number, so the frame that shows the
     * number proves the delta (and every one before it) was painted.
     */
    async stream({ eventsPerSecond, perDelta, seconds, inputEveryMs, churn = 0 }) {
      const pop = window.__population;
      // Churn: new Deferreds replace the oldest loose ones (created + collected and dropped by
      // retention), so the tree's shape changes in every delta, as in a busy server.
      let nextId = Math.max(...pop.map((d) => d.id)) + 1;
      // Slots of `pop` holding loose Deferreds, oldest first; `pop` always holds the live ones.
      const looseSlots = pop.map((_d, i) => i).filter((i) => i >= pop.length * 0.7);
      const tree = document.querySelector('[role="tree"]');
      const probeRow = () => tree.querySelector('[role="treeitem"][data-id]');
      const probeId = Number(probeRow().dataset.id);
      const probe = pop.find((d) => d.id === probeId);
      const sentAt = new Map();
      const latencies = [];
      let lastPainted = 0;
      const observer = new MutationObserver(() => {
        const el = tree.querySelector(`[data-id="${probeId}"] .cell-result`);
        const m = el && /^'tick-(\d+)'$/.exec(el.textContent);
        if (!m || Number(m[1]) <= lastPainted) return;
        const shown = Number(m[1]);
        // The mutation happens inside the app's rAF; this task runs once that frame is painted.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          const t1 = performance.now();
          for (let k = lastPainted + 1; k <= shown; k++) if (sentAt.has(k)) latencies.push(t1 - sentAt.get(k));
          lastPainted = Math.max(lastPainted, shown);
        };
        channel.port2.postMessage(null);
      });
      observer.observe(tree, { subtree: true, childList: true, characterData: true });

      const frameGaps = [];
      let running = true;
      let lastFrame = performance.now();
      const frameLoop = (t) => {
        frameGaps.push(t - lastFrame);
        lastFrame = t;
        if (running) requestAnimationFrame(frameLoop);
      };
      requestAnimationFrame(frameLoop);
      const longTasks = [];
      const po = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration);
      });
      try {
        po.observe({ type: 'longtask', buffered: false });
      } catch {
        /* not supported */
      }

      const inputLatencies = [];
      const inputTimer = setInterval(() => {
        const t0 = performance.now();
        setTimeout(async () => {
          tree.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
          inputLatencies.push((await afterPaint()) - t0);
        }, 0);
      }, inputEveryMs);

      const intervalMs = (1000 * perDelta) / eventsPerSecond;
      const deltas = Math.round((seconds * 1000) / intervalMs);
      const start = performance.now();
      let events = 0;
      for (let n = 1; n <= deltas; n++) {
        const due = start + n * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const upserts = [
          { ...probe, result: { kind: 'value', typeName: 'str', repr: `'tick-${n}'`, truncated: false }, hasResult: true, lastSeq: ++seq },
        ];
        const fresh = Math.round(((perDelta - 1) * churn) / 2); // each is a creation and a removal
        const removed = [];
        for (let k = 0; k < fresh; k++) {
          const slot = looseSlots.shift();
          removed.push(pop[slot].id);
          pop[slot] = view(nextId++, { callbacks: [pair('step')] });
          looseSlots.push(slot);
          upserts.push(pop[slot]);
        }
        for (let k = 1 + 2 * fresh; k < perDelta; k++) {
          const d = pop[(Math.random() * pop.length) | 0];
          upserts.push({ ...d, callbacks: d.callbacks.slice(0, (n + k) % 3).concat(pair(`cb_${n % 50}`)), lastSeq: ++seq });
        }
        events += upserts.length + removed.length;
        sentAt.set(n, performance.now());
        window.postMessage({ type: 'delta', sessionId: 's1', header: header(pop.length), upserts, removed }, '*');
      }
      const elapsed = (performance.now() - start) / 1000;
      await afterPaint();
      await afterPaint();
      running = false;
      clearInterval(inputTimer);
      observer.disconnect();
      po.disconnect();
      return {
        eventsPerSecondAchieved: Math.round(events / elapsed),
        deltas,
        deltasPainted: lastPainted,
        eventToPainted: summary(latencies),
        frameGap: summary(frameGaps.slice(1)),
        longTasks: { count: longTasks.length, max: longTasks.length ? Math.max(...longTasks) : 0 },
        inputToPainted: summary(inputLatencies),
        domRows: document.querySelectorAll('[role="treeitem"]').length,
        domElements: document.getElementsByTagName('*').length,
        jsHeapMB: performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1e6) : null,
      };
    },
  };
})();
