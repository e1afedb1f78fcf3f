// LMVP web UI: the one script, served by lmvp-server itself (CSP script-src 'self'). Every page works without it; it adds
// the values of every series under the pointer on charts, copy buttons, and applies the chart controls as they change.
'use strict';

(function () {
  // ---- copy buttons: the text is in a read-only box next to the button, selectable without the script ----
  function copyText(text, button) {
    const done = () => {
      const label = button.textContent;
      button.textContent = 'Copied';
      button.classList.add('copied');
      setTimeout(() => { button.textContent = label; button.classList.remove('copied'); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => legacyCopy(text) && done());
    } else if (legacyCopy(text)) {
      done();
    }
  }

  function legacyCopy(text) {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function setUpCopyButtons() {
    for (const button of document.querySelectorAll('button.copy[data-copy]')) {
      const source = document.getElementById(button.dataset.copy);
      if (!source) continue;
      button.hidden = false;
      button.addEventListener('click', () => copyText('value' in source && source.tagName === 'INPUT' ? source.value : source.textContent, button));
    }
  }

  // ---- charts: a cursor line and every series' nearest value under the pointer ----
  const svgNs = 'http://www.w3.org/2000/svg';

  function seriesOf(svg) {
    const all = [];
    for (const group of svg.querySelectorAll('g.series')) {
      const points = [];
      for (const link of group.querySelectorAll('a.pt')) {
        const circle = link.querySelector('circle');
        const title = circle && circle.querySelector('title');
        if (!circle || !title) continue;
        const lines = title.textContent.split('\n');
        const eq = lines[0].lastIndexOf(' = ');
        points.push({
          x: parseFloat(circle.getAttribute('cx')), y: parseFloat(circle.getAttribute('cy')), circle, href: link.getAttribute('href'),
          value: eq >= 0 ? lines[0].slice(eq + 3) : lines[0], commit: lines[1] || '',
        });
      }
      points.sort((a, b) => a.x - b.x);
      const colour = [...group.classList].find(c => /^s\d$/.test(c)) || 's0';
      all.push({ label: group.dataset.label || '', colour, points });
    }
    return all;
  }

  function nearest(points, x) {
    let lo = 0, hi = points.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid].x < x) lo = mid + 1; else hi = mid;
    }
    const after = points[lo], before = points[Math.max(0, lo - 1)];
    return Math.abs(before.x - x) <= Math.abs(after.x - x) ? before : after;
  }

  function setUpChart(svg) {
    const plot = svg.closest('.plot');
    if (!plot) return;
    const series = seriesOf(svg);
    if (series.every(s => s.points.length === 0)) return;
    const cursor = document.createElementNS(svgNs, 'line');
    cursor.setAttribute('class', 'cursor');
    cursor.setAttribute('y1', '14');
    cursor.setAttribute('y2', String(svg.viewBox.baseVal.height - 30));
    cursor.style.display = 'none';
    svg.appendChild(cursor);
    const tip = document.createElement('div');
    tip.className = 'charttip';
    tip.hidden = true;
    tip.setAttribute('role', 'status');
    plot.appendChild(tip);
    let shown = [];
    let target = null;

    function hide() {
      cursor.style.display = 'none';
      tip.hidden = true;
      for (const p of shown) p.circle.classList.remove('hover');
      shown = [];
      target = null;
    }

    function show(event) {
      const matrix = svg.getScreenCTM();
      if (!matrix) return;
      const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      const width = svg.viewBox.baseVal.width;
      if (point.x < 64 || point.x > width - 20) { hide(); return; }
      for (const p of shown) p.circle.classList.remove('hover');
      shown = [];
      const rows = [];
      let closest = null;
      for (const s of series) {
        const p = nearest(s.points, point.x);
        // A run that ends before the pointer has no value there: leave it out rather than repeat its last point.
        if (!p || Math.abs(p.x - point.x) > Math.max(12, width / Math.max(1, s.points.length))) continue;
        p.circle.classList.add('hover');
        shown.push(p);
        rows.push({ s, p });
        if (!closest || Math.abs(p.x - point.x) < Math.abs(closest.x - point.x)) closest = p;
      }
      if (!closest) { hide(); return; }
      target = closest;
      cursor.setAttribute('x1', String(closest.x));
      cursor.setAttribute('x2', String(closest.x));
      cursor.style.display = '';
      tip.replaceChildren();
      const head = document.createElement('div');
      head.className = 'tiphead';
      head.textContent = closest.commit;
      tip.appendChild(head);
      for (const { s, p } of rows) {
        const row = document.createElement('div');
        row.className = 'tiprow ' + s.colour;
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        const label = document.createElement('span');
        label.className = 'name';
        label.textContent = s.label;
        const value = document.createElement('span');
        value.className = 'val';
        value.textContent = p.value;
        row.append(swatch, label, value);
        tip.appendChild(row);
      }
      tip.hidden = false;
      const box = plot.getBoundingClientRect();
      const left = event.clientX - box.left;
      tip.style.left = (left > box.width / 2 ? left - tip.offsetWidth - 14 : left + 14) + 'px';
      tip.style.top = Math.max(0, event.clientY - box.top - tip.offsetHeight / 2) + 'px';
    }

    svg.addEventListener('pointermove', show);
    svg.addEventListener('pointerleave', hide);
    // A click anywhere on the plot opens the commit under the cursor (points themselves are links already).
    svg.addEventListener('click', event => {
      if (target && !event.target.closest('a')) window.location.href = new URL(target.href, window.location.href).href;
    });
    svg.classList.add('interactive');
  }

  // ---- forms that apply as they change (the Apply button stays for keyboards and for pages without this script) ----
  function setUpAutoApply() {
    const form = document.getElementById('chart-controls');
    if (!form) return;
    form.addEventListener('change', event => {
      if (event.target.matches('input.other')) return; // a typed revision is applied with Enter or Apply
      form.requestSubmit();
    });
  }

  function start() {
    setUpCopyButtons();
    for (const svg of document.querySelectorAll('svg.chart')) setUpChart(svg);
    setUpAutoApply();
    document.documentElement.classList.add('js');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
