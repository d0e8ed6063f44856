/**
 * The script a report page runs, inlined as it is here (its hash goes into the page's
 * Content-Security-Policy). It reads the page's JSON, draws the charts with uPlot and builds every
 * other element with `textContent`: no string from the data is ever parsed as HTML.
 * Plain ES2017 so any current browser runs it; checked by test/report/html.test.ts in Chromium.
 */
export const pageScript = String.raw`(function () {
  'use strict';
  var page = JSON.parse(document.getElementById('pauper-data').textContent);
  var root = document.getElementById('report');
  var samples = new Map(page.samples.map(function (sample) { return [sample.id, sample]; }));

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function append(parent, child) { parent.appendChild(child); return child; }
  function reward(value) { return value === null ? 'failed' : value.toFixed(3); }

  function header() {
    append(root, element('h1', '', page.title));
    append(root, element('p', 'facts', page.facts.join(' \u00b7 ')));
    page.notes.forEach(function (note) { append(root, element('p', 'note', note)); });
  }

  function chartOptions(chart, width) {
    return {
      width: width,
      height: 260,
      scales: { x: { time: false, range: function (u, min, max) { return [min, max === min ? min + 1 : max]; } } },
      axes: [
        { label: chart.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
        { label: chart.yLabel, size: 60 },
      ],
      series: [{ label: chart.xLabel }].concat(chart.series.map(function (series) {
        var hidden = series.line === 'none';
        return {
          label: series.label,
          stroke: hidden ? 'transparent' : series.color,
          width: series.line === 'solid' ? 2 : hidden ? 0 : 1.25,
          dash: series.line === 'dashed' ? [6, 4] : series.line === 'dotted' ? [2, 3] : undefined,
          points: { show: !hidden },
        };
      })),
      bands: chart.bands.map(function (band) { return { series: [band.upper + 1, band.lower + 1], fill: band.color }; }),
    };
  }

  function charts() {
    var grid = append(root, element('section', 'charts'));
    page.charts.forEach(function (chart) {
      var figure = append(grid, element('figure', 'chart'));
      append(figure, element('figcaption', '', chart.title));
      append(figure, element('p', 'caption', chart.caption));
      var target = append(figure, element('div', 'plot'));
      var data = [chart.x.slice()].concat(chart.series.map(function (series) { return series.values.slice(); }));
      var plot = new uPlot(chartOptions(chart, Math.max(figure.clientWidth, 320)), data, target);
      // What uPlot was given, per series: lets a reader (or a test) check a chart against the journal.
      figure.dataset.x = JSON.stringify(plot.data[0]);
      figure.dataset.lengths = JSON.stringify(plot.data.map(function (values) { return values.length; }));
    });
  }

  function table(columns, rows, onPick) {
    var wrap = element('div', 'scroll');
    var node = append(wrap, element('table'));
    var head = append(append(node, element('thead')), element('tr'));
    columns.forEach(function (column) { append(head, element('th', '', column)); });
    var body = append(node, element('tbody'));
    rows.forEach(function (row, index) {
      var line = append(body, element('tr', onPick ? 'pick' : ''));
      row.forEach(function (cell) { append(line, element('td', '', cell)); });
      if (onPick) line.addEventListener('click', function () {
        Array.prototype.forEach.call(body.children, function (other) { other.classList.remove('selected'); });
        line.classList.add('selected');
        onPick(index);
      });
    });
    return wrap;
  }

  function tables() {
    page.tables.forEach(function (spec) {
      var section = append(root, element('section', 'table'));
      append(section, element('h2', '', spec.title));
      append(section, element('p', 'caption', spec.caption));
      append(section, table(spec.columns, spec.rows));
    });
  }

  function select(label, options, onChange) {
    var wrap = element('label', '', label + ' ');
    var node = append(wrap, element('select'));
    options.forEach(function (option) {
      var item = append(node, element('option', '', option.text));
      item.value = option.value;
    });
    node.addEventListener('change', function () { onChange(node.value); });
    return { label: wrap, node: node };
  }

  function excerpt(sample) {
    var last = sample.turns[sample.turns.length - 1];
    var text = last ? last.content : '';
    return text.length > 80 ? text.slice(0, 79) + '\u2026' : text;
  }

  function view(viewer, sample) {
    viewer.replaceChildren();
    viewer.hidden = false;
    append(viewer, element('h3', '', sample.id));
    append(viewer, element('p', 'facts', [sample.split, 'iteration ' + sample.iteration, 'task ' + sample.taskId, 'reward ' + reward(sample.reward), sample.usage].join(' \u00b7 ')));
    if (sample.failure) append(viewer, element('p', 'note failure', sample.failure));
    if (sample.info) {
      append(viewer, element('div', 'role', 'reward info'));
      append(viewer, element('pre', 'info', sample.info));
    }
    sample.turns.forEach(function (turn) {
      var block = append(viewer, element('div', 'turn'));
      append(block, element('div', 'role', turn.role));
      append(block, element('pre', 'content', turn.content));
    });
  }

  function picker(viewer, ids) {
    var picked = ids.map(function (id) { return samples.get(id); }).filter(Boolean);
    var rows = picked.map(function (sample) { return [sample.id, sample.taskId, reward(sample.reward), excerpt(sample)]; });
    return table(['sample', 'task', 'reward', 'last turn'], rows, function (index) { view(viewer, picked[index]); });
  }

  function listing(title, caption, choices, idsOf) {
    var section = append(root, element('section', 'samples'));
    append(section, element('h2', '', title));
    append(section, element('p', 'caption', caption));
    var list = element('div');
    var viewer = element('div', 'viewer');
    viewer.hidden = true;
    var chooser = select('Iteration', choices, function (value) { list.replaceChildren(picker(viewer, idsOf(value))); });
    append(section, chooser.label);
    append(section, list);
    append(section, viewer);
    if (choices.length > 0) {
      chooser.node.value = choices[choices.length - 1].value;
      list.replaceChildren(picker(viewer, idsOf(chooser.node.value)));
    }
    return section;
  }

  function kept() {
    var choices = page.kept.map(function (set) { return { value: String(set.iteration), text: String(set.iteration) }; });
    listing('Kept examples', 'The examples kept after each iteration: what the next iteration\'s prompts show. Click one to read it.', choices, function (value) {
      var set = page.kept.find(function (candidate) { return String(candidate.iteration) === value; });
      return set ? set.ids : [];
    }).id = 'kept';
  }

  function trajectories() {
    var iterations = Array.from(new Set(page.samples.map(function (sample) { return sample.iteration; })));
    var choices = iterations.map(function (iteration) { return { value: String(iteration), text: String(iteration) }; });
    listing('Trajectories', 'Every sample of an iteration, training then held-out. Click one to read its transcript, reward and the reward\'s info.', choices, function (value) {
      return page.samples.filter(function (sample) { return String(sample.iteration) === value; }).map(function (sample) { return sample.id; });
    }).id = 'trajectories';
  }

  header();
  charts();
  tables();
  // A comparison has neither: each run's own report does.
  if (page.kept.length > 0) kept();
  if (page.samples.length > 0) trajectories();
})();
`;
