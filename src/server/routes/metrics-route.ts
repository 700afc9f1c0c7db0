import { renderMetrics } from '../prometheus-metrics.js';
import type { RouteTable } from '../route-table.js';
import type { ServerContext } from '../server-context.js';

export function metricsRoute(routes: RouteTable, context: ServerContext): void {
  routes.add({
    method: 'GET',
    url: '/metrics',
    summary:
      'Prometheus metrics: queue depths, live workers, breaker states, attempts and requests by instance and error kind, latency histograms, tokens and cost.',
    tag: 'server',
    produces: 'text/plain; version=0.0.4',
    handler: async ({ reply }) => {
      const { contentType, text } = await renderMetrics(context);
      reply.header('content-type', contentType);
      return text;
    },
  });
}
