import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { confusionMatrix, probeAccuracyByLayer } from '../../lib/plots/index';
import { plotlySource } from '../../lib/plots/html';
import { buildReport, formatReportCell, markdownToHtml, tableHtml, writeReport } from '../../lib/report/index';
import { type MiniDocument, launchTestBrowser } from './browser';
import { needChromium } from '../helpers';

/** The page's document inside page.evaluate callbacks (no DOM types in this project). */
declare const document: MiniDocument;

test('markdownToHtml: paragraphs, headings, lists, code, emphasis, links; raw HTML escaped', () => {
  const html = markdownToHtml(
    [
      '# Probes',
      'Accuracy is **high** at layer `13`, see [the paper](https://arxiv.org/abs/2312.06681).',
      'Second line of the *same* paragraph with <b>tags</b>.',
      '',
      '- first item',
      '- second item',
      '',
      '1. one',
      '2. two',
      '',
      '```',
      'x < 1 && y > 2',
      '```',
    ].join('\n'),
  );
  assert.equal(
    html,
    [
      '<h3>Probes</h3>',
      '<p>Accuracy is <strong>high</strong> at layer <code>13</code>, see <a href="https://arxiv.org/abs/2312.06681">the paper</a>. Second line of the <em>same</em> paragraph with &lt;b&gt;tags&lt;/b&gt;.</p>',
      '<ul><li>first item</li><li>second item</li></ul>',
      '<ol><li>one</li><li>two</li></ol>',
      '<pre><code>x &lt; 1 &amp;&amp; y &gt; 2</code></pre>',
    ].join('\n'),
  );
  assert.equal(markdownToHtml('[x](javascript:alert(1))'), '<p><a href="#">x</a>)</p>');
  assert.equal(markdownToHtml('snake_case_name stays'), '<p>snake_case_name stays</p>');
});

test('tableHtml and formatReportCell: numbers to 4 significant digits, right-aligned; bad rows named', () => {
  assert.equal(formatReportCell(0.812345), '0.8123');
  assert.equal(formatReportCell(120), '120');
  assert.equal(formatReportCell(null), '');
  assert.equal(formatReportCell(1e-7), '1e-7');
  assert.equal(
    tableHtml({ columns: ['layer', 'accuracy'], rows: [[13, 0.75], [14, null]], caption: 'A & B' }),
    '<table><caption>A &amp; B</caption><thead><tr><th>layer</th><th>accuracy</th></tr></thead>\n<tbody>\n' +
      '<tr><td class="num">13</td><td class="num">0.75</td></tr>\n<tr><td class="num">14</td><td></td></tr>\n</tbody></table>',
  );
  assert.throws(() => tableHtml({ columns: ['a', 'b'], rows: [[1]] }), /row 0 has 1 cells, expected 2 \(a, b\)/);
});

test('buildReport: one plotly copy, every figure and table, renders in Chromium offline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'syco-report-'));
  let browser: Awaited<ReturnType<typeof launchTestBrowser>> | undefined;
  try {
    const path = writeReport(join(dir, 'report.html'), {
      title: 'Sycophancy study — stories260K',
      intro: 'Model `stories260K`, **5** layers.',
      generated: '2026-01-01T00:00:00Z',
      sections: [
        {
          title: 'Probes',
          text: 'Held-out accuracy per layer.',
          figures: [
            probeAccuracyByLayer([{ probe: 'logistic', layer: 0, test: 0.5 }, { probe: 'logistic', layer: 1, test: 0.8 }]),
            { figure: confusionMatrix({ tp: 5, fp: 1, tn: 4, fn: 2 }), caption: 'Layer 1, logistic probe.' },
          ],
          tables: [{ columns: ['layer', 'accuracy'], rows: [[0, 0.5], [1, 0.8]] }, { toHTML: () => '<table id="custom"><tr><td>x</td></tr></table>' }],
        },
        { title: 'Probes', text: 'A second section with the same title gets its own anchor.' },
      ],
    });
    const html = readFileSync(path, 'utf8');
    const marker = plotlySource().slice(0, 200);
    assert.equal(html.split(marker).length - 1, 1, 'plotly.js inlined exactly once');
    assert.doesNotMatch(html, /<script[^>]+src=/);
    assert.match(html, /<li><a href="#probes">Probes<\/a><\/li><li><a href="#probes-2">Probes<\/a><\/li>/);
    assert.match(html, /<figcaption>Figure 2\. Layer 1, logistic probe\.<\/figcaption>/);
    assert.match(html, /Generated 2026-01-01T00:00:00Z/);

    if (!needChromium(t)) return; // the HTML checks above ran; rendering needs Chromium
    browser = await launchTestBrowser();
    const { page, remoteRequests } = browser;
    await page.goto(pathToFileURL(path).href);
    await page.waitForFunction(() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2, undefined, { timeout: 20_000 });
    const info = await page.evaluate(() => ({
      plots: document.querySelectorAll('.js-plotly-plot').length,
      lineTraces: document.querySelectorAll('#fig-1 .scatterlayer .trace').length,
      heatmaps: document.querySelectorAll('#fig-2 .heatmaplayer image, #fig-2 .hm image').length,
      tables: document.querySelectorAll('table').length,
      h1: document.querySelector('h1')?.textContent,
      intro: document.querySelector('p strong')?.textContent,
    }));
    assert.equal(info.plots, 2);
    assert.equal(info.lineTraces, 1);
    assert.ok(info.heatmaps >= 1, 'heatmap image drawn');
    assert.equal(info.tables, 2);
    assert.equal(info.h1, 'Sycophancy study — stories260K');
    assert.equal(info.intro, '5');
    assert.deepEqual(remoteRequests, []);
  } finally {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('buildReport: a report without figures carries no plotly; bad tables are named', () => {
  const html = buildReport({ title: 'T', generated: null, sections: [{ title: 'Only text', text: 'hello' }] });
  assert.equal(html.includes('plotly.js-dist-min, inlined'), false);
  assert.equal(html.includes('Generated'), false);
  assert.throws(
    () => buildReport({ title: 'T', sections: [{ title: 'S', tables: [{ nope: 1 } as unknown as string] }] }),
    /section "S", table 0 is not a table/,
  );
});
