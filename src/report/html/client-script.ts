/**
 * The report's browser script, inlined into report.html after uPlot. It reads the JSON data block,
 * draws each chart with uPlot, and registers every chart in `window.__streamsoakCharts` (id, series
 * lengths and colours, whether it drew) and as `data-*` attributes on its element, so a headless
 * browser test can check that each chart really drew its data.
 *
 * Kept as a plain ES5-style string rather than compiled TypeScript: the dist/ build is tsc only,
 * and a function's `toString()` would carry whatever helpers a test transformer injected.
 */
export const REPORT_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('report-data').textContent);
  var registry = (window.__streamsoakCharts = []);
  var plots = [];
  // Okabe-Ito: readable for the common colour-vision deficiencies.
  var COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8C6D1F', '#000000'];
  var AXIS = { stroke: '#4b5563', grid: { stroke: '#e5e7eb', width: 1 }, ticks: { stroke: '#d1d5db', width: 1 } };

  function axis(extra) {
    var out = { stroke: AXIS.stroke, grid: AXIS.grid, ticks: AXIS.ticks, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' };
    for (var key in extra) out[key] = extra[key];
    return out;
  }

  function fmtMs(v) {
    if (v == null) return '—';
    if (v >= 10000) return (v / 1000).toFixed(1) + ' s';
    if (v >= 100) return Math.round(v) + ' ms';
    if (v >= 10) return v.toFixed(1) + ' ms';
    return v.toFixed(2) + ' ms';
  }
  function fmtCount(v) { return v == null ? '—' : Math.round(v).toLocaleString('en-US'); }
  function fmtSeconds(v) { return v == null ? '—' : (Math.round(v * 10) / 10) + ' s'; }

  function countPresent(arr) {
    var n = 0;
    for (var i = 0; i < arr.length; i++) if (arr[i] != null) n++;
    return n;
  }

  // Zero and missing values as gaps: empty histogram bins, and points a log scale cannot place.
  function positiveOrNull(arr) {
    return arr.map(function (v) { return v != null && v > 0 ? v : null; });
  }

  function empty(id, message) {
    var el = document.getElementById(id);
    el.classList.add('chart-empty');
    el.dataset.empty = 'true';
    el.dataset.drawn = 'false';
    el.textContent = message;
    registry.push({ id: id, empty: true, message: message, drawn: false, seriesLengths: [], presentCounts: [], colors: [] });
  }

  function chart(id, opts, data) {
    var el = document.getElementById(id);
    var entry = {
      id: id,
      empty: false,
      drawn: false,
      seriesLengths: data.map(function (s) { return s.length; }),
      presentCounts: data.slice(1).map(countPresent),
      colors: opts.series.slice(1).map(function (s) { return s.stroke; }),
      labels: opts.series.slice(1).map(function (s) { return s.label; })
    };
    var userDraw = opts.hooks && opts.hooks.draw ? opts.hooks.draw : [];
    opts.hooks = opts.hooks || {};
    opts.hooks.draw = userDraw.concat([function () {
      entry.drawn = true;
      el.dataset.drawn = 'true';
    }]);
    opts.width = Math.max(320, el.clientWidth || 640);
    opts.height = opts.height || 260;
    el.dataset.seriesLengths = entry.seriesLengths.join(',');
    el.dataset.presentCounts = entry.presentCounts.join(',');
    registry.push(entry);
    var plot = new uPlot(opts, data, el);
    plots.push({ plot: plot, el: el });
    return plot;
  }

  var tl = DATA.timeline;
  var xAxis = axis({ label: 'seconds since the run started', values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } });
  // Honest axes: counts and linear latencies start at zero, so a small change never looks like a cliff.
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; }

  // 1. Open connections over time.
  if (tl.t.length === 0) {
    empty('chart-open', 'The timeline is empty: the run ended before its first interval.');
  } else {
    chart('chart-open', {
      title: 'Open connections',
      scales: { x: { time: false }, y: { range: fromZero } },
      axes: [xAxis, axis({ label: 'connections', size: 60 })],
      series: [
        { label: 't', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'SSE streams open', stroke: COLORS[0], width: 2, fill: 'rgba(0,114,178,0.08)', value: function (u, v) { return fmtCount(v); } },
        { label: 'polling clients', stroke: COLORS[2], width: 2, value: function (u, v) { return fmtCount(v); } }
      ]
    }, [tl.t, tl.sseOpen, tl.pollClients]);
  }

  // 2. Drop-time histogram: lifetime of each stream when it ended, with the known platform limits.
  var lt = DATA.lifetime;
  if (lt.droppedTotal + lt.closedTotal === 0) {
    empty('chart-lifetime', 'No stream opened, so there is no lifetime to plot.');
  } else {
    var limitMarkers = function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = '#6b7280';
      ctx.fillStyle = '#374151';
      ctx.lineWidth = 1.5 * uPlot.pxRatio;
      ctx.font = (11 * uPlot.pxRatio) + 'px system-ui, sans-serif';
      ctx.textAlign = 'left';
      for (var i = 0; i < lt.limits.length; i++) {
        var limit = lt.limits[i];
        var x = Math.round(u.valToPos(limit.seconds, 'x', true));
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText(limit.label, x + 4 * uPlot.pxRatio, u.bbox.top + (12 + 13 * (i % 2)) * uPlot.pxRatio);
      }
      ctx.restore();
    };
    chart('chart-lifetime', {
      title: 'Stream lifetime when it ended (' + lt.binWidthS + ' s bins)',
      scales: { x: { time: false, range: [0, lt.xMaxS] }, y: { range: fromZero } },
      axes: [axis({ label: 'seconds from open to end', values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } }), axis({ label: 'streams', size: 60 })],
      series: [
        { label: 'lifetime', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'all ended streams', stroke: '#93c5fd', fill: 'rgba(147,197,253,0.55)', width: 1, paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false }, value: function (u, v) { return fmtCount(v); } },
        { label: 'dropped by the target', stroke: COLORS[1], fill: 'rgba(213,94,0,0.75)', width: 1, paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false }, value: function (u, v) { return fmtCount(v); } }
      ],
      hooks: { draw: [limitMarkers] }
    // Empty bins are left out rather than drawn as zero-height slivers.
    }, [lt.centersS, positiveOrNull(lt.ended), positiveOrNull(lt.dropped)]);
  }

  // 2b. Events received per second: the one chart any run can draw, whatever its events carry (no
  // send time, no sequence): streams open and a line at zero means nothing arrives. A window the
  // process was late for was longer than a second, so counts are divided by its real length.
  var perSecond = function (counts) {
    return counts.map(function (n, i) {
      var width = i === 0 ? tl.t[0] : tl.t[i] - tl.t[i - 1];
      return width > 0 ? n / width : null;
    });
  };
  if (tl.t.length === 0) {
    empty('chart-events', 'The timeline is empty: the run ended before its first interval.');
  } else {
    chart('chart-events', {
      title: 'SSE events received per second',
      scales: { x: { time: false }, y: { range: fromZero } },
      axes: [xAxis, axis({ label: 'per second', size: 70 })],
      series: [
        { label: 't', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'events', stroke: COLORS[0], width: 2, fill: 'rgba(0,114,178,0.08)', value: function (u, v) { return v == null ? '—' : fmtCount(Math.round(v)); } },
        { label: 'heartbeats', stroke: COLORS[2], width: 1, value: function (u, v) { return v == null ? '—' : fmtCount(Math.round(v)); } },
        { label: 'lost (sequence gaps)', stroke: COLORS[1], width: 2, dash: [5, 3], value: function (u, v) { return v == null ? '—' : fmtCount(Math.round(v)); } }
      ]
    }, [tl.t, perSecond(tl.sseEvents), perSecond(tl.sseHeartbeats), perSecond(tl.sseEventsLost)]);
  }

  // 3. Event latency percentiles over time.
  var lat = tl.sseLatencyMs;
  // DATA.clock: the note every latency figure carries (± offset uncertainty), or why there is no latency.
  var clockNote = DATA.clock && DATA.clock.note ? ' — ' + DATA.clock.note : '';
  if (DATA.clock && DATA.clock.unknown) {
    empty('chart-latency', DATA.clock.note + ': no latency was recorded; drops, buffering and limits were.');
  } else if (countPresent(lat.p50) === 0) {
    empty('chart-latency', 'No SSE event carried a send time, so there is no latency to plot.');
  } else {
    chart('chart-latency', {
      title: 'SSE event latency percentiles, per second' + clockNote,
      scales: { x: { time: false }, y: { range: fromZero } },
      axes: [xAxis, axis({ label: 'latency (ms)', size: 70, values: function (u, vals) { return vals.map(fmtMs); } })],
      series: [
        { label: 't', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'p50', stroke: COLORS[0], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'p90', stroke: COLORS[2], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'p99', stroke: COLORS[1], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'max', stroke: COLORS[3], width: 1, dash: [4, 3], value: function (u, v) { return fmtMs(v); } }
      ]
    }, [tl.t, lat.p50, lat.p90, lat.p99, lat.max]);
  }

  // 3b. Publish → deliver percentiles (a publishing run only): on the harness's one clock, beside
  // event latency, which reads the target's clock.
  var pub = tl.publishToDeliverMs;
  if (pub && document.getElementById('chart-publish')) {
    if (countPresent(pub.p50) === 0) {
      empty('chart-publish', 'No published message reached a subscriber.');
    } else {
      chart('chart-publish', {
        title: 'Publish → deliver latency percentiles, per second (harness clock)',
        scales: { x: { time: false }, y: { range: fromZero } },
        axes: [xAxis, axis({ label: 'latency (ms)', size: 70, values: function (u, vals) { return vals.map(fmtMs); } })],
        series: [
          { label: 't', value: function (u, v) { return fmtSeconds(v); } },
          { label: 'p50', stroke: COLORS[0], width: 2, value: function (u, v) { return fmtMs(v); } },
          { label: 'p99', stroke: COLORS[1], width: 2, value: function (u, v) { return fmtMs(v); } },
          { label: 'max', stroke: COLORS[3], width: 1, dash: [4, 3], value: function (u, v) { return fmtMs(v); } },
          { label: 'event latency p99', stroke: COLORS[2], width: 1, dash: [5, 3], value: function (u, v) { return fmtMs(v); } }
        ]
      }, [tl.t, pub.p50, pub.p99, pub.max, lat.p99]);
    }
  }

  // 4. Drops and connect failures per second, by reason.
  var reasonSeries = [{ label: 't', value: function (u, v) { return fmtSeconds(v); } }];
  var reasonData = [tl.t];
  var colorIndex = 0;
  function addReasons(map, prefix, dash) {
    Object.keys(map).forEach(function (reason) {
      var color = COLORS[(colorIndex++ + 1) % COLORS.length];
      reasonSeries.push({ label: prefix + reason, stroke: color, width: 2, dash: dash, points: { show: true, size: 5, fill: color }, value: function (u, v) { return fmtCount(v); } });
      reasonData.push(map[reason]);
    });
  }
  addReasons(tl.dropsByReason, 'drop: ', undefined);
  addReasons(tl.failuresByReason, 'failed: ', [5, 3]);
  if (reasonData.length === 1 || tl.t.length === 0) {
    empty('chart-reasons', 'No drops and no connect failures during the run (streams the plan closed at its end are not drops).');
  } else {
    chart('chart-reasons', {
      title: 'Drops and connect failures per second, by reason',
      scales: { x: { time: false }, y: { range: fromZero } },
      axes: [xAxis, axis({ label: 'per second', size: 60 })],
      series: reasonSeries
    }, reasonData);
  }

  // 5. SSE event latency beside polling delivery delay, on a log scale: they differ by orders of magnitude.
  var poll = tl.pollDelayMs;
  if (DATA.clock && DATA.clock.unknown) {
    empty('chart-sse-vs-poll', DATA.clock.note + '.');
  } else if (countPresent(lat.p50) + countPresent(poll.p50) === 0) {
    empty('chart-sse-vs-poll', 'Neither SSE latency nor polling delay was recorded.');
  } else {
    chart('chart-sse-vs-poll', {
      title: 'SSE event latency vs polling delivery delay (log scale)' + clockNote,
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [xAxis, axis({ label: 'ms (log scale)', size: 70, grid: { stroke: '#f1f3f5', width: 1 }, values: function (u, vals) { return vals.map(function (v) { return /^10*$/.test(String(Math.round(v * 1000))) ? fmtMs(v) : ''; }); } })],
      series: [
        { label: 't', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'SSE p50', stroke: COLORS[0], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'SSE p99', stroke: COLORS[0], width: 2, dash: [5, 3], value: function (u, v) { return fmtMs(v); } },
        { label: 'polling p50', stroke: COLORS[4], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'polling p99', stroke: COLORS[4], width: 2, dash: [5, 3], value: function (u, v) { return fmtMs(v); } }
      ]
    }, [tl.t, positiveOrNull(lat.p50), positiveOrNull(lat.p99), positiveOrNull(poll.p50), positiveOrNull(poll.p99)]);
  }

  // 6. The harness's own health: a busy event loop or a saturated CPU makes every latency suspect.
  if (countPresent(tl.eventLoopDelayP99Ms) + countPresent(tl.cpuPercent) === 0) {
    empty('chart-harness', 'The harness did not record its event-loop delay or CPU.');
  } else {
    chart('chart-harness', {
      title: 'Harness health',
      height: 200,
      scales: { x: { time: false }, ms: { range: fromZero }, pct: { range: [0, 100] } },
      axes: [xAxis, axis({ scale: 'ms', label: 'event-loop delay p99 (ms)', size: 70 }), axis({ scale: 'pct', side: 1, label: 'CPU %', size: 50, grid: { show: false } })],
      series: [
        { label: 't', value: function (u, v) { return fmtSeconds(v); } },
        { label: 'event-loop delay p99', scale: 'ms', stroke: COLORS[3], width: 2, value: function (u, v) { return fmtMs(v); } },
        { label: 'CPU', scale: 'pct', stroke: COLORS[7], width: 1, value: function (u, v) { return v == null ? '—' : Math.round(v) + ' %'; } }
      ]
    }, [tl.t, tl.eventLoopDelayP99Ms, tl.cpuPercent]);
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.el.clientWidth), height: p.plot.height }); });
    }, 100);
  });
  document.body.dataset.chartsReady = 'true';
})();
`;
