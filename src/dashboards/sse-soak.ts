/**
 * The "SSE soak" Grafana dashboard, as code (@grafana/grafana-foundation-sdk). It reads the series
 * both engines send with k6's remote-write naming, and the reference server's own /metrics.
 * Regenerate the committed JSON with `streamsoak dashboards`; a unit test fails when they differ.
 */
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { SERVER_METRICS, counterRate, counterTotal, gaugeSum, openConnections, serverGauge, serverRate, trendStat } from './queries.js';

export const SSE_SOAK_DASHBOARD_UID = 'streamsoak-sse-soak';
export const SSE_SOAK_DASHBOARD_TITLE = 'SSE soak';

/** Every panel queries the datasource picked in the `datasource` variable. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

interface Query {
  expr: string;
  legend: string;
}

function target(query: Query, index: number): DataqueryBuilder {
  return new DataqueryBuilder()
    .refId(String.fromCharCode(65 + index))
    .datasource(DATASOURCE)
    .expr(query.expr)
    .legendFormat(query.legend)
    .range();
}

function timeseries(title: string, description: string, unit: string, queries: Query[], span = 12): TimeseriesPanelBuilder {
  const panel = new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .span(span)
    .height(8)
    // The SDK's default hides the legend: every panel here has several series worth naming.
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

function stat(title: string, description: string, unit: string, query: Query): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(6)
    .height(4)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .withTarget(target(query, 0));
}

const percentiles = (name: Parameters<typeof trendStat>[0]): Query[] => [
  { expr: trendStat(name, 'p(50)'), legend: 'p50 {{engine}}' },
  { expr: trendStat(name, 'p(95)'), legend: 'p95 {{engine}}' },
  { expr: trendStat(name, 'p(99)'), legend: 'p99 {{engine}}' },
  { expr: trendStat(name, 'max'), legend: 'max {{engine}}' },
];

/** Grafana wants a unique id per panel; the builder leaves them out (rows get 0). */
function numberPanels(dashboard: Dashboard): Dashboard {
  dashboard.panels?.forEach((panel, index) => {
    panel.id = index + 1;
  });
  return dashboard;
}

export function buildSseSoakDashboard(): Dashboard {
  return numberPanels(new DashboardBuilder(SSE_SOAK_DASHBOARD_TITLE)
    .uid(SSE_SOAK_DASHBOARD_UID)
    .description('Live view of a streamsoak run (Node engine or k6 with xk6-sse) and of the reference server.')
    .tags(['streamsoak', 'sse', 'k6'])
    .editable()
    .refresh('5s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('testid')
        .label('Test run')
        .datasource(DATASOURCE)
        // Both engines send k6_sse_connects_total once a client has tried to connect.
        .query('label_values(k6_sse_connects_total, testid)')
        .definition('label_values(k6_sse_connects_total, testid)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalDesc)
        .includeAll(true)
        .allValue('.+'),
    )
    .withRow(new RowBuilder('Now'))
    .withPanel(stat('Open SSE connections', 'Connections held open by the load generators right now (k6 runs: connects minus drops).', 'short', { expr: openConnections(), legend: 'open' }))
    .withPanel(stat('Drops', 'Streams that ended while the client wanted them open, since the start.', 'short', { expr: counterTotal('sse_drops'), legend: 'drops' }))
    .withPanel(stat('Lost events', 'Sequence gaps seen by the clients (events the server sent that never arrived).', 'short', { expr: counterTotal('sse_events_lost'), legend: 'lost' }))
    .withPanel(stat('Event latency p99', 'Cumulative p99 of sentAt-to-receive latency, worst engine.', 's', { expr: `max(${trendStat('sse_event_latency', 'p(99)')})`, legend: 'p99' }))
    .withRow(new RowBuilder('Connections'))
    .withPanel(
      timeseries('Open connections', 'SSE connections held open (k6 runs: connects minus drops), and polling clients running.', 'short', [
        { expr: openConnections('engine'), legend: 'SSE open {{engine}}' },
        { expr: gaugeSum('poll_clients', 'engine'), legend: 'polling clients {{engine}}' },
      ]),
    )
    .withPanel(
      timeseries('Connects per second', 'Successful SSE connects, and reconnects after a drop.', 'reqps', [
        { expr: counterRate('sse_connects'), legend: 'connects/s' },
        { expr: counterRate('sse_reconnects'), legend: 'reconnects/s' },
      ]),
    )
    .withPanel(
      timeseries('Drops by reason', 'Streams that ended early, per second, by the reason the client classified.', 'reqps', [
        { expr: counterRate('sse_drops', 'reason'), legend: '{{reason}}' },
      ]),
    )
    .withPanel(
      timeseries('Connect failures by reason', 'Connection attempts that never got a stream (status, refusal, timeout...).', 'reqps', [
        { expr: counterRate('sse_connect_failures', 'reason'), legend: '{{reason}}' },
      ]),
    )
    .withPanel(timeseries('Connection lifetime', 'How long streams lived before they ended (cumulative percentiles).', 's', percentiles('sse_connection_lifetime')))
    .withPanel(
      timeseries('Connect time and time to first event', 'From request start to response headers, and to the first event (p95).', 's', [
        { expr: trendStat('sse_connect_time', 'p(95)'), legend: 'connect p95 {{engine}}' },
        { expr: trendStat('sse_time_to_first_event', 'p(95)'), legend: 'first event p95 {{engine}}' },
      ]),
    )
    .withRow(new RowBuilder('Events'))
    .withPanel(timeseries('Event latency percentiles', 'Server sentAt to client receive time (cumulative percentiles).', 's', percentiles('sse_event_latency')))
    .withPanel(
      timeseries('Events per second', 'Events and heartbeats received by all SSE clients.', 'short', [
        { expr: counterRate('sse_events'), legend: 'events/s' },
        { expr: counterRate('sse_heartbeats'), legend: 'heartbeats/s' },
      ]),
    )
    .withPanel(
      timeseries('Lost and duplicated events', 'Sequence gaps and repeats since the start of the run.', 'short', [
        { expr: counterTotal('sse_events_lost'), legend: 'lost' },
        { expr: counterTotal('sse_events_duplicated'), legend: 'duplicated' },
      ]),
    )
    .withPanel(
      timeseries('Polling delivery delay beside SSE latency', 'What the polling fallback costs: event sentAt to the poll that returned it, against SSE latency (p95).', 's', [
        { expr: trendStat('poll_delivery_delay', 'p(95)'), legend: 'polling delivery p95 {{engine}}' },
        { expr: trendStat('sse_event_latency', 'p(95)'), legend: 'SSE latency p95 {{engine}}' },
        { expr: trendStat('poll_request_duration', 'p(95)'), legend: 'poll request p95 {{engine}}' },
      ]),
    )
    .withRow(new RowBuilder('Publish → deliver (the harness as the publisher)'))
    .withPanel(
      timeseries(
        'Publish → deliver latency',
        'Intended publish time to each subscriber receiving the message, on the harness clock (cumulative percentiles; runs with publish: only), and how long the publish requests took (p95).',
        's',
        [...percentiles('publish_to_deliver'), { expr: trendStat('publish_request_duration', 'p(95)'), legend: 'publish request p95 {{engine}}' }],
      ),
    )
    .withPanel(
      timeseries('Messages published', 'Messages the harness sent per second, and those that failed, by reason.', 'reqps', [
        { expr: counterRate('publish_requests'), legend: 'published/s' },
        { expr: counterRate('publish_failures', 'reason'), legend: 'failed: {{reason}}' },
      ]),
    )
    .withPanel(
      timeseries('Deliveries missed', 'Subscribers that had a stream open when a message was accepted and never got it (counted at the end of a run).', 'short', [
        // Zero only for a run that published: a run that did not shows nothing, not a zero it never measured.
        { expr: `${counterTotal('publish_deliveries_missed')} or (${counterTotal('publish_requests')} * 0)`, legend: 'missed' },
      ]),
    )
    .withRow(new RowBuilder('Polling fallback'))
    .withPanel(
      timeseries('Poll requests by status', 'Polling requests per second by status class.', 'reqps', [
        { expr: counterRate('poll_requests', 'status'), legend: '{{status}}' },
      ]),
    )
    .withPanel(
      timeseries('Events delivered by polling', 'Events returned by polls, per second.', 'short', [
        { expr: counterRate('poll_events'), legend: 'events/s' },
      ]),
    )
    .withRow(new RowBuilder('Reference server (its own /metrics)'))
    .withPanel(
      timeseries('Server: active SSE connections', "The server's count of open streams; a gap with the clients' count means a proxy in between holds or drops connections.", 'short', [
        { expr: serverGauge(SERVER_METRICS.openConnections), legend: 'server open' },
        { expr: openConnections(), legend: 'clients open' },
      ], 8),
    )
    .withPanel(
      timeseries('Server: slow-consumer disconnects', 'Streams the server closed because the client read too slowly (buffer cap reached).', 'reqps', [
        { expr: serverRate(SERVER_METRICS.slowConsumerDisconnects), legend: 'disconnects/s' },
      ], 8),
    )
    .withPanel(
      timeseries('Server: events sent per second', 'Events written by the server, to compare with events received.', 'short', [
        { expr: serverRate(SERVER_METRICS.eventsSent), legend: 'sent/s' },
        { expr: counterRate('sse_events'), legend: 'received/s' },
      ], 8),
    )
    .build());
}
