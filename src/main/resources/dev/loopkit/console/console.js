// loopkit loop console: reads /console/state once, then listens on /console/live (Server-Sent Events).
// Receive-only by construction: the page never sends anything but GET requests for its own files and data.
// Every value from the server is put in the DOM as text (textContent), never as HTML.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  var q = token ? '?token=' + encodeURIComponent(token) : '';
  if (token && history.replaceState) {
    history.replaceState(null, '', location.pathname); // the HttpOnly cookie carries it from now on
  }
  var MAX_INCIDENTS = 200, MAX_BREAKER = 100;
  var incidents = new Map();   // id -> record (latest: ongoing, then final)
  var loops = new Map();       // thread -> {el, chart, data, last}
  var ongoing = new Map();     // thread -> ongoing record
  var breaker = [];
  var routesStats = {};
  var nodes = new Map();
  var filter = { verticle: '', kind: '', frame: '', node: '' };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'; }
  function fmtMs(v) { return v === undefined || v === null ? '–' : (Math.round(v * 10) / 10) + ' ms'; }
  function frameKey(f) { return f ? (f['class'] + '.' + f.method) : ''; }
  function simple(cls) { var i = String(cls).lastIndexOf('.'); return i < 0 ? cls : cls.substring(i + 1); }
  function where(r) { return r.address || r.route || r.timer || ''; }
  function nodeName(r) { return r.node && r.node.name ? r.node.name : ''; }

  // ---- loops ----
  function loopCard(thread) {
    var l = loops.get(thread);
    if (l) { return l; }
    var card = el('div', 'loop');
    card.setAttribute('data-loop', thread);
    var state = el('span', 'state ok', 'ok');
    state.setAttribute('role', 'status');
    card.appendChild(state);
    card.appendChild(el('div', 'name', thread));
    var nums = el('div', 'nums', '');
    card.appendChild(nums);
    var chartBox = el('div', 'chart');
    chartBox.setAttribute('aria-label', 'lag of ' + thread + ' over time');
    card.appendChild(chartBox);
    $('loops').appendChild(card);
    l = { el: card, state: state, nums: nums, chartBox: chartBox, chart: null, data: [[], [], [], []], last: null };
    loops.set(thread, l);
    return l;
  }
  function chartWidth(l) { return Math.max(150, Math.floor(l.chartBox.clientWidth || 260)); }
  function drawChart(l) {
    if (typeof uPlot === 'undefined') { return; }
    if (!l.chart) {
      l.chart = new uPlot({
        width: chartWidth(l), height: 90, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
        axes: [{ stroke: css('--muted'), grid: { stroke: css('--line') }, size: 24, font: '10px sans-serif' },
               { stroke: css('--muted'), grid: { stroke: css('--line') }, size: 36, font: '10px sans-serif' }],
        series: [{}, { label: 'p50', stroke: css('--p50'), width: 1 }, { label: 'p99', stroke: css('--p99'), width: 1 },
                 { label: 'max', stroke: css('--max'), width: 1 }]
      }, l.data, l.chartBox);
    } else {
      l.chart.setData(l.data);
    }
  }
  function addPoint(l, t, p50, p99, max) {
    var d = l.data;
    d[0].push(t); d[1].push(p50); d[2].push(p99); d[3].push(max);
    if (d[0].length > 300) { d.forEach(function (a) { a.shift(); }); }
  }
  function renderLoop(l) {
    var s = l.last || {};
    var o = ongoing.get(l.el.getAttribute('data-loop'));
    l.nums.textContent = 'lag p50 ' + fmtMs(s.p50Ms) + ' · p99 ' + fmtMs(s.p99Ms) + ' · max ' + fmtMs(s.maxMs)
      + ' · blocked ' + (s.blockedMs || 0) + ' ms · ' + (s.incidents || 0) + ' incidents';
    if (o) {
      var running = Math.max(o.durationMs || 0, Date.now() - Date.parse(o.startedAt));
      l.el.classList.add('blocked');
      l.state.className = 'state blocked';
      l.state.textContent = 'blocked ' + running + ' ms';
    } else {
      l.el.classList.remove('blocked');
      l.state.className = 'state ok';
      l.state.textContent = 'ok';
    }
  }
  function onTick(t) {
    if (!t) { return; }
    if (t.thresholdMs) { $('threshold').textContent = 'threshold ' + t.thresholdMs + ' ms'; }
    var now = Date.parse(t.at) / 1000;
    (t.loops || []).forEach(function (s) {
      var l = loopCard(s.thread);
      l.last = s;
      addPoint(l, now, s.p50Ms, s.p99Ms, s.maxMs);
      renderLoop(l);
      drawChart(l);
    });
    renderFetch(t.fetch);
    routesStats = t.routes || {};
    renderRoutes();
  }

  // ---- incidents ----
  function onIncident(r) {
    if (!r || typeof r !== 'object') { return; }
    var id = String(r.id);
    if (!r.ongoing && !r.stack && incidents.has(id)) { r.stack = incidents.get(id).stack; }
    incidents.delete(id);
    incidents.set(id, r);
    while (incidents.size > MAX_INCIDENTS) { incidents.delete(incidents.keys().next().value); }
    if (r.thread && r.thread !== '*') {
      if (r.ongoing) { ongoing.set(r.thread, r); } else if (ongoing.has(r.thread) && ongoing.get(r.thread).id === r.id) { ongoing.delete(r.thread); }
      var l = loops.get(r.thread) || (r.worker ? null : loopCard(r.thread));
      if (l) { renderLoop(l); }
    }
    addOption('f-verticle', r.verticle);
    addOption('f-kind', r.kind);
    var n = nodeName(r);
    if (n && !nodes.has(n)) { nodes.set(n, true); addOption('node', n); }
    renderIncidents();
    renderFlame();
  }
  function addOption(selectId, value) {
    if (!value) { return; }
    var s = $(selectId);
    for (var i = 0; i < s.options.length; i++) { if (s.options[i].value === value) { return; } }
    var o = el('option', null, value);
    o.value = value;
    s.appendChild(o);
  }
  function matches(r) {
    if (filter.verticle && r.verticle !== filter.verticle) { return false; }
    if (filter.kind && r.kind !== filter.kind) { return false; }
    if (filter.node && nodeName(r) !== filter.node) { return false; }
    if (filter.frame) {
      var s = (r.stack || []).slice();
      (r.phases || []).forEach(function (p) { if (Array.isArray(p.stack)) { s = s.concat(p.stack); } });
      var hit = s.some(function (f) { return frameKey(f) === filter.frame; });
      if (!hit && frameKey(r.culprit) !== filter.frame) { return false; }
    }
    return true;
  }
  function renderIncidents() {
    var list = $('incidents');
    var open = {};
    list.querySelectorAll('details[open]').forEach(function (d) { open[d.parentNode.getAttribute('data-id')] = true; });
    list.textContent = '';
    var all = Array.from(incidents.values()).reverse();
    var shown = 0;
    all.forEach(function (r) {
      if (!matches(r)) { return; }
      shown++;
      list.appendChild(incidentItem(r, open[String(r.id)]));
    });
    $('no-incidents').hidden = shown > 0;
    $('no-incidents').textContent = incidents.size ? 'No incident matches the filters.' : 'No incident yet.';
  }
  function incidentItem(r, isOpen) {
    var li = el('li', 'incident' + (r.ongoing ? ' ongoing' : ''));
    li.setAttribute('data-id', String(r.id));
    var d = el('details');
    if (isOpen) { d.open = true; }
    var s = el('summary');
    s.appendChild(el('span', 'dur', (r.durationMs || 0) + ' ms'));
    s.appendChild(document.createTextNode(' ' + (r.thread || '') + ' '));
    var c = r.culprit;
    s.appendChild(el('span', 'culprit', c ? (c.file + ':' + c.line + ' ' + simple(c['class']) + '.' + c.method) : '(no application frame)'));
    s.appendChild(el('span', 'mark kind', r.kind || 'unknown'));
    if (r.ongoing) { s.appendChild(el('span', 'mark ongoing', 'blocked now')); }
    if (r.warmUp) { s.appendChild(el('span', 'mark', 'warmUp')); }
    if (r.allowed) { s.appendChild(el('span', 'mark', 'allowed: ' + r.allowed)); }
    if (r.overloaded) { s.appendChild(el('span', 'mark', 'overloaded')); }
    d.appendChild(s);
    var meta = el('div', 'meta', (r.startedAt || '') + (r.verticle ? ' · ' + r.verticle : '') + (where(r) ? ' · ' + where(r) : '')
      + (r.source ? ' · ' + r.source : '') + (nodeName(r) ? ' · node ' + nodeName(r) : '') + ' · ' + (r.id || ''));
    d.appendChild(meta);
    if (Array.isArray(r.phases) && r.phases.length) {
      var ph = el('div', 'meta', 'phases: ' + r.phases.map(function (p) {
        return (p.fromMs || 0) + '–' + (p.toMs || 0) + ' ms ' + (p.kind || '') + (p.culprit ? ' ' + simple(p.culprit['class']) + '.' + p.culprit.method + ':' + p.culprit.line : '');
      }).join(' → '));
      d.appendChild(ph);
    }
    var pre = el('pre');
    (r.stack || []).forEach(function (f) {
      var line = el('span', f.app ? 'app' : null, 'at ' + f['class'] + '.' + f.method + '(' + (f.file || '?') + ':' + f.line + ')\n');
      pre.appendChild(line);
    });
    if (!(r.stack || []).length) { pre.textContent = '(no stack in this record)'; }
    d.appendChild(pre);
    li.appendChild(d);
    return li;
  }

  // ---- flame graph (icicle: outermost frame on top, width = ms blocked) ----
  function addStack(root, stack, ms) {
    root.value += ms;
    var node = root;
    var start = stack.length - 1;
    if ($('f-trim').checked) {
      // start at the outermost application frame: the dispatch frames below it are the same for every stall
      for (var k = stack.length - 1; k >= 0; k--) { if (stack[k].app) { start = k; break; } }
      if (start < stack.length - 1) {
        var fw = node.children.get('(dispatch)');
        if (!fw) {
          fw = { name: '(' + (stack.length - 1 - start) + ' dispatch frames)', children: new Map(), value: 0, app: false, frame: null, key: null };
          node.children.set('(dispatch)', fw);
        }
        fw.value += ms;
        node = fw;
      }
    }
    for (var i = start; i >= 0; i--) {
      var f = stack[i];
      var key = frameKey(f);
      var child = node.children.get(key);
      if (!child) {
        child = { name: simple(f['class']) + '.' + f.method, children: new Map(), value: 0, app: !!f.app, frame: f, key: key };
        node.children.set(key, child);
      }
      child.value += ms;
      node = child;
    }
  }
  function renderFlame() {
    var box = $('flame');
    var windowS = parseInt($('window').value, 10);
    var since = windowS > 0 ? Date.now() - windowS * 1000 : 0;
    var root = { name: 'all', children: new Map(), value: 0, app: false, frame: null };
    incidents.forEach(function (r) {
      if (!r.stack || !r.stack.length || r.thread === '*') { return; }
      if (filter.node && nodeName(r) !== filter.node) { return; }
      var t = Date.parse(r.startedAt);
      if (since && t < since) { return; }
      var ms = r.ongoing ? Math.max(r.durationMs || 0, Date.now() - t) : (r.durationMs || 0);
      if (ms <= 0) { return; }
      // a final record with several phases carries each phase's stack: each gets its own share of the time
      var parts = [];
      var phases = Array.isArray(r.phases) ? r.phases.filter(function (p) { return Array.isArray(p.stack) && p.stack.length; }) : [];
      if (!r.ongoing && phases.length > 1) {
        phases.forEach(function (p, i) {
          var to = i === phases.length - 1 ? ms : (p.toMs || 0);
          var from = i === 0 ? 0 : (p.fromMs || 0);
          if (to > from) { parts.push({ stack: p.stack, ms: to - from }); }
        });
      }
      if (!parts.length) { parts.push({ stack: r.stack, ms: ms }); }
      parts.forEach(function (part) { addStack(root, part.stack, part.ms); });
    });
    box.textContent = '';
    if (!root.value) {
      box.appendChild(el('p', 'hint', 'No stall with a stack in this window.'));
      box.style.height = '40px';
      return;
    }
    var rowH = 19, maxDepth = 0;
    function place(n, x, depth) {
      var w = n.value / root.value;
      if (w < 0.004 || depth > 80) { return; }
      maxDepth = Math.max(maxDepth, depth);
      var b = el('button', 'flame-box' + (n.app ? ' app' : '') + (n === root ? ' root' : '') + (n.key && n.key === filter.frame ? ' selected' : ''), n.name);
      b.type = 'button';
      b.style.left = (x * 100) + '%';
      b.style.width = (w * 100) + '%';
      b.style.top = (depth * rowH) + 'px';
      var label = !n.frame ? n.name + ': ' + n.value + ' ms' : (n.frame['class'] + '.' + n.frame.method + ' (' + (n.frame.file || '?') + ':' + n.frame.line + '): ' + n.value + ' ms blocked');
      b.title = label;
      b.setAttribute('aria-label', label);
      if (n.key) {
        b.setAttribute('data-frame', n.key);
        b.addEventListener('click', function () { setFrameFilter(filter.frame === n.key ? '' : n.key); });
      }
      box.appendChild(b);
      var cx = x;
      Array.from(n.children.values()).sort(function (a, c) { return c.value - a.value; }).forEach(function (c) {
        place(c, cx, depth + 1);
        cx += c.value / root.value;
      });
    }
    place(root, 0, 0);
    box.style.height = ((maxDepth + 1) * rowH + 2) + 'px';
  }
  function setFrameFilter(key) {
    filter.frame = key;
    $('f-frame').hidden = !key;
    $('f-frame-name').textContent = key;
    renderIncidents();
    renderFlame();
  }

  // ---- fetch and routes ----
  function renderFetch(f) {
    var dl = $('fetch');
    dl.textContent = '';
    if (!f) { return; }
    function row(k, v) { dl.appendChild(el('dt', null, k)); dl.appendChild(el('dd', null, v)); }
    row('calls in progress', f.calls);
    row('requests in flight', f.requestsInFlight);
    (f.engines || []).forEach(function (e, i) {
      var name = (f.engines.length > 1 ? 'engine ' + (i + 1) + ' ' : '');
      row(name + 'queued', e.queued);
      row(name + 'connections', e.connections);
      var hosts = e.perHost || {};
      Object.keys(hosts).forEach(function (h) {
        row('  ' + h, hosts[h].inFlight + ' in flight, ' + hosts[h].queued + ' queued');
      });
    });
    row('OVERLOADED (total)', f.overloaded);
    var o = f.outcomes || {};
    row('outcomes', Object.keys(o).filter(function (k) { return o[k] > 0; }).map(function (k) { return k + ' ' + o[k]; }).join(', ') || 'none yet');
  }
  function renderRoutes() {
    var tb = $('routes').tBodies[0];
    tb.textContent = '';
    var names = Object.keys(routesStats || {});
    if (!names.length) {
      var tr = el('tr'); var td = el('td', 'hint', 'no timeout verticle answered loopkit.timeout.stats');
      td.colSpan = 10; tr.appendChild(td); tb.appendChild(tr);
    }
    names.forEach(function (name) {
      var s = routesStats[name] || {};
      var tr = el('tr');
      tr.setAttribute('data-route', name);
      var b = s.breaker && typeof s.breaker === 'object' ? s.breaker.state : s.breaker;
      [name, s.calls, s.ok, s.latencyMs ? s.latencyMs.p99 : undefined, s.deadlineExceeded, s.retries, s.hedges, s.lateReplies, s.inFlight].forEach(function (v) { tr.appendChild(el('td', null, v === undefined ? '–' : v)); });
      tr.appendChild(el('td', b ? 'br-' + b : null, b || '–'));
      tb.appendChild(tr);
    });
  }
  function onBreaker(e) {
    if (!e || typeof e !== 'object') { return; }
    breaker.unshift(e);
    if (breaker.length > MAX_BREAKER) { breaker.pop(); }
    renderBreaker();
  }
  function renderBreaker() {
    var ol = $('breaker-events');
    ol.textContent = '';
    breaker.forEach(function (e) {
      var li = el('li', null);
      var at = typeof e.at === 'number' ? new Date(e.at).toISOString() : (e.at || '');
      li.appendChild(document.createTextNode(at + ' ' + (e.route || '') + ' → '));
      li.appendChild(el('span', 'br-' + e.state, e.state));
      li.appendChild(document.createTextNode(' (' + (e.failures || 0) + ' failures' + (e.node && e.node.name ? ', node ' + e.node.name : '') + ')'));
      ol.appendChild(li);
    });
  }

  // ---- wiring ----
  function connect() {
    var es = new EventSource('console/live' + q);
    es.addEventListener('open', function () { $('status').textContent = 'live'; $('status').className = 'status on'; });
    es.addEventListener('error', function () { $('status').textContent = 'reconnecting…'; $('status').className = 'status off'; });
    es.addEventListener('hello', function () { $('status').textContent = 'live'; $('status').className = 'status on'; });
    es.addEventListener('tick', function (m) { onTick(JSON.parse(m.data)); });
    es.addEventListener('incident', function (m) { onIncident(JSON.parse(m.data)); });
    es.addEventListener('breaker', function (m) { onBreaker(JSON.parse(m.data)); });
    es.addEventListener('dropped', function (m) {
      var d = JSON.parse(m.data);
      $('dropped').textContent = d.droppedTotal + ' events dropped (this page read too slowly)';
    });
  }
  function load() {
    fetch('console/state' + q, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) {
          Object.keys(s.history || {}).forEach(function (thread) {
            var l = loopCard(thread);
            s.history[thread].forEach(function (p) { addPoint(l, p[0], p[1], p[2], p[3]); });
          });
          (s.incidents || []).slice().reverse().forEach(function (r) { onIncident(r); });
          (s.breaker || []).forEach(function (e) { onBreaker(e); });
          if (s.tick) { onTick(s.tick); }
        }
        connect();
      })
      .catch(function () { connect(); });
  }
  $('f-verticle').addEventListener('change', function (e) { filter.verticle = e.target.value; renderIncidents(); });
  $('f-kind').addEventListener('change', function (e) { filter.kind = e.target.value; renderIncidents(); });
  $('node').addEventListener('change', function (e) { filter.node = e.target.value; renderIncidents(); renderFlame(); });
  $('window').addEventListener('change', renderFlame);
  $('f-trim').addEventListener('change', renderFlame);
  $('f-frame-clear').addEventListener('click', function () { setFrameFilter(''); });
  setInterval(function () { loops.forEach(renderLoop); }, 250);
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { loops.forEach(function (l) { if (l.chart) { l.chart.setSize({ width: chartWidth(l), height: 90 }); } }); }, 100);
  });
  renderIncidents();
  renderFlame();
  load();
})();
