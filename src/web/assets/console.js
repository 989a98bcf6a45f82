/* Elevate web console: draws the usage charts (Chart.js, served by Elevate). Every figure is also
 * in a table next to its chart, so nothing depends on this script. No inline script: CSP. */
/* global Chart, document */
'use strict';

(function drawCharts() {
  const source = document.getElementById('usage-data');
  if (!source || typeof Chart === 'undefined') return;
  const data = JSON.parse(source.textContent || '{}');
  const colors = { requests: '#0b5cad', approved: '#116329', denied: '#b3261e', expired: '#7a4d00', cancelled: '#57606a', pending: '#e0a800' };
  const common = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } };

  const timeline = document.getElementById('chart-timeline');
  if (timeline && data.timeline) {
    new Chart(timeline, {
      type: 'line',
      data: {
        labels: data.timeline.labels,
        datasets: ['requests', 'approved', 'denied', 'expired'].map((key) => ({ label: key, data: data.timeline[key], borderColor: colors[key], backgroundColor: colors[key], tension: 0.2 })),
      },
      options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const decisionTime = document.getElementById('chart-decision-time');
  if (decisionTime && data.timeline) {
    new Chart(decisionTime, {
      type: 'bar',
      data: { labels: data.timeline.labels, datasets: [{ label: 'median minutes to decision', data: data.timeline.minutesToDecision, backgroundColor: colors.requests }] },
      options: { ...common, scales: { y: { beginAtZero: true } } },
    });
  }
  const policies = document.getElementById('chart-policies');
  if (policies && data.policies) {
    new Chart(policies, {
      type: 'bar',
      data: {
        labels: data.policies.labels,
        datasets: ['approved', 'denied', 'expired', 'cancelled', 'pending'].map((key) => ({ label: key, data: data.policies[key], backgroundColor: colors[key] })),
      },
      options: { ...common, indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
    });
  }
})();
