(function () {
  'use strict';
  // The message table: the rows come from the JSON block #data (text, never markup); only
  // the rows in view (and a margin) are in the document, so 100,000 messages stay fast.
  var D = JSON.parse(document.getElementById('data').textContent);
  var R = D.rows, N = R.length;
  var IDX = 0, T = 1, DATE = 2, FROM = 3, SUBJ = 4, V = 5, CODES = 6, DOM = 7, EV = 10;
  var ROW = 26, OVER = 40;
  var vt = document.getElementById('vt');
  var head = document.getElementById('vhead');
  var body = document.getElementById('vbody');
  var countEl = document.getElementById('f-count');
  var fVerdict = document.getElementById('f-verdict');
  var fCode = document.getElementById('f-code');
  var fDomain = document.getElementById('f-domain');
  var fText = document.getElementById('f-text');
  var fTime = document.getElementById('f-time');
  var st = { verdict: -1, code: -1, domain: '', text: '', from: null, to: null, undated: false, sort: 'index', dir: 1, sel: -1 };
  var order = new Int32Array(N);
  var count = 0;
  var lowText = null, lowFrom = null, lowSubj = null;

  function idxOf(list, name) { for (var i = 0; i < list.length; i++) { if (list[i] === name) { return i; } } return -1; }
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  function fmtTime(t) {
    var d = new Date(t * 1000);
    if (isNaN(d.getTime())) { return '' + t; }
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  function codesText(r) {
    var c = r[CODES], out = [];
    for (var i = 0; i < c.length; i++) { out.push(D.codes[c[i]] || '?'); }
    return out.join(', ');
  }
  function domainOf(r) { return r[DOM] >= 0 ? D.domains[r[DOM]] : ''; }

  function matches(r) {
    if (st.verdict >= 0 && r[V] !== st.verdict) { return false; }
    if (st.code >= 0 && r[CODES].indexOf(st.code) < 0) { return false; }
    if (st.domain) {
      var d = domainOf(r);
      if (d !== st.domain && d.slice(-st.domain.length - 1) !== '.' + st.domain) { return false; }
    }
    if (st.undated) { if (r[T] !== null) { return false; } }
    else if (st.from !== null) { if (r[T] === null || r[T] < st.from || r[T] >= st.to) { return false; } }
    if (st.text) {
      if (!lowText) { lowText = R.map(function (x) { return (x[FROM] + '\n' + x[SUBJ] + '\n' + x[DATE]).toLowerCase(); }); }
      if (lowText[r.pos].indexOf(st.text) < 0) { return false; }
    }
    return true;
  }

  function sortKey() {
    var dir = st.dir;
    switch (st.sort) {
      case 'date': return function (a, b) {
        var ta = R[a][T], tb = R[b][T];
        if (ta === tb) { return (R[a][IDX] - R[b][IDX]) * dir; }
        if (ta === null) { return 1; }
        if (tb === null) { return -1; }
        return (ta - tb) * dir;
      };
      case 'from':
        if (!lowFrom) { lowFrom = R.map(function (x) { return x[FROM].toLowerCase(); }); }
        return function (a, b) { var x = lowFrom[a], y = lowFrom[b]; return (x < y ? -1 : x > y ? 1 : R[a][IDX] - R[b][IDX]) * dir; };
      case 'subject':
        if (!lowSubj) { lowSubj = R.map(function (x) { return x[SUBJ].toLowerCase(); }); }
        return function (a, b) { var x = lowSubj[a], y = lowSubj[b]; return (x < y ? -1 : x > y ? 1 : R[a][IDX] - R[b][IDX]) * dir; };
      case 'verdict': return function (a, b) { return ((R[a][V] - R[b][V]) || (R[a][IDX] - R[b][IDX])) * dir; };
      case 'findings': return function (a, b) { return ((R[b][CODES].length - R[a][CODES].length) || (R[a][IDX] - R[b][IDX])) * dir; };
      default: return function (a, b) { return (R[a][IDX] - R[b][IDX]) * dir; };
    }
  }

  function refresh(keepScroll) {
    count = 0;
    for (var i = 0; i < N; i++) { if (matches(R[i])) { order[count++] = i; } }
    if (st.sort !== 'index' || st.dir !== 1) {
      var part = Array.prototype.slice.call(order.subarray(0, count));
      part.sort(sortKey());
      order.set(part);
    }
    body.style.height = (count * ROW) + 'px';
    vt.style.height = Math.round(Math.min(window.innerHeight * 0.7, Math.max(3 * ROW, count * ROW) + head.offsetHeight + 2)) + 'px';
    var heads = head.children;
    for (var h = 0; h < heads.length; h++) {
      heads[h].className = heads[h].className.replace(/ ?(asc|desc)/g, '');
      if (heads[h].getAttribute('data-sort') === st.sort) { heads[h].className += st.dir > 0 ? ' asc' : ' desc'; }
    }
    countEl.textContent = count === N ? N + ' messages' : count + ' of ' + N + ' messages';
    if (!keepScroll) { vt.scrollTop = 0; }
    render();
  }

  function cell(row, cls, text) {
    var s = document.createElement('span');
    s.className = cls;
    s.textContent = text;
    s.title = text;
    row.appendChild(s);
    return s;
  }

  function render() {
    var top = Math.max(0, vt.scrollTop - head.offsetHeight);
    var first = Math.max(0, Math.floor(top / ROW) - OVER);
    var last = Math.min(count, Math.ceil((top + vt.clientHeight) / ROW) + OVER);
    var frag = document.createDocumentFragment();
    for (var k = first; k < last; k++) {
      var r = R[order[k]];
      var row = document.createElement('div');
      row.className = 'vrow';
      row.style.top = (k * ROW) + 'px';
      row.setAttribute('data-index', r[IDX]);
      var ci = document.createElement('span');
      ci.className = 'c-i';
      if (r[EV] === 1 || r[EV] === 2) {
        var a = document.createElement('a');
        a.href = '#m' + r[IDX];
        a.textContent = '' + r[IDX];
        a.title = 'evidence of message ' + r[IDX];
        ci.appendChild(a);
        row.className += ' flag';
      } else {
        ci.textContent = '' + r[IDX];
      }
      row.appendChild(ci);
      cell(row, 'c-d', r[T] !== null ? fmtTime(r[T]) : (r[DATE] ? 'undated: ' + r[DATE] : 'undated'));
      cell(row, 'c-f', r[FROM]);
      cell(row, 'c-s', r[SUBJ]);
      var cv = document.createElement('span');
      cv.className = 'c-v';
      var b = document.createElement('span');
      var vname = D.verdicts[r[V]] || '?';
      b.className = 'badge v-' + vname;
      b.textContent = vname;
      cv.appendChild(b);
      row.appendChild(cv);
      var x = codesText(r);
      if (r[EV] === 3) { x = (x ? x + ' ' : '') + '(evidence not embedded: budget)'; }
      cell(row, 'c-x', x);
      if (r[IDX] === st.sel) { row.className += ' sel'; }
      frag.appendChild(row);
    }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (count === 0) {
      var e = document.createElement('div');
      e.className = 'vempty';
      e.textContent = 'No message matches the filters.';
      frag.appendChild(e);
    }
    body.appendChild(frag);
  }

  var pending = false;
  function later() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; render(); });
  }
  vt.addEventListener('scroll', later);
  window.addEventListener('resize', later);

  function setTime(from, to, label) {
    st.undated = from === 'undated';
    st.from = st.undated || from === null ? null : Number(from);
    st.to = st.undated || to === null ? null : Number(to);
    var bars = document.querySelectorAll('svg.timeline .bucket');
    for (var i = 0; i < bars.length; i++) {
      var on = label !== null && bars[i].getAttribute('data-from') === '' + from && bars[i].getAttribute('data-to') === '' + to;
      bars[i].setAttribute('class', on ? 'bucket on' : 'bucket');
    }
    if (label === null) { fTime.hidden = true; fTime.textContent = ''; }
    else { fTime.hidden = false; fTime.textContent = 'time: ' + label + ' \u2715'; fTime.title = 'clear the time filter'; }
  }

  function show() { document.getElementById('messages').scrollIntoView(); }

  for (var i = 0; i < R.length; i++) { R[i].pos = i; }

  fVerdict.addEventListener('change', function () { st.verdict = idxOf(D.verdicts, fVerdict.value); refresh(); });
  fCode.addEventListener('change', function () { st.code = idxOf(D.codes, fCode.value); refresh(); });
  var typing = null;
  function onText() {
    if (typing) { window.clearTimeout(typing); }
    typing = window.setTimeout(function () {
      st.text = fText.value.trim().toLowerCase();
      st.domain = fDomain.value.trim().toLowerCase().replace(/\.$/, '');
      refresh();
    }, 150);
  }
  fText.addEventListener('input', onText);
  fDomain.addEventListener('input', onText);
  fTime.addEventListener('click', function () { setTime(null, null, null); refresh(); });
  document.getElementById('f-clear').addEventListener('click', function () {
    st.verdict = -1; st.code = -1; st.domain = ''; st.text = '';
    fVerdict.value = ''; fCode.value = ''; fDomain.value = ''; fText.value = '';
    setTime(null, null, null);
    refresh();
  });
  head.addEventListener('click', function (e) {
    var key = e.target.getAttribute && e.target.getAttribute('data-sort');
    if (!key) { return; }
    if (st.sort === key) { st.dir = -st.dir; } else { st.sort = key; st.dir = 1; }
    refresh();
  });
  body.addEventListener('click', function (e) {
    var row = e.target.closest ? e.target.closest('.vrow') : null;
    if (!row || e.target.tagName === 'A') { return; }
    var i = Number(row.getAttribute('data-index'));
    st.sel = i;
    if (row.className.indexOf('flag') >= 0) { window.location.hash = '#m' + i; } else { render(); }
  });

  // Links from the other parts of the page into the table.
  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('[data-verdict],[data-code],[data-domain],.bucket,a.goto') : null;
    if (!t || t.closest('#vt') || t.closest('section.ev')) { return; }
    if (t.matches('a.goto')) {
      e.preventDefault();
      var want = Number(t.getAttribute('data-index'));
      st.verdict = -1; st.code = -1; st.domain = ''; st.text = ''; st.sort = 'index'; st.dir = 1; st.sel = want;
      fVerdict.value = ''; fCode.value = ''; fDomain.value = ''; fText.value = '';
      setTime(null, null, null);
      refresh();
      var k = 0;
      while (k < count && R[order[k]][IDX] !== want) { k++; }
      show();
      vt.scrollTop = Math.max(0, k * ROW - vt.clientHeight / 2);
      render();
      return;
    }
    if (t.getAttribute('class') && t.getAttribute('class').indexOf('bucket') === 0) {
      setTime(t.getAttribute('data-from'), t.getAttribute('data-to'), t.getAttribute('data-label'));
      refresh();
      show();
      return;
    }
    var v = t.getAttribute('data-verdict');
    if (v !== null) { st.verdict = idxOf(D.verdicts, v); fVerdict.value = v; }
    var c = t.getAttribute('data-code');
    if (c !== null) { st.code = idxOf(D.codes, c); fCode.value = c; }
    var d = t.getAttribute('data-domain');
    if (d !== null) { st.domain = d; fDomain.value = d; }
    var from = t.getAttribute('data-from');
    if (from !== null) { setTime(from, t.getAttribute('data-to'), from === 'undated' ? 'undated' : t.textContent.split(':')[0]); }
    refresh();
    show();
  });

  refresh();
})();
