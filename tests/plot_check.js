/*
 * plot_check.js - runs inside headless Chromium on a page that holds the
 * SVG from `lull plot` inline, and checks that every element is where the
 * script puts it, reading positions from the laid-out picture (getBBox,
 * getPointAtLength), converting them back to seconds, hertz and decibels
 * through the picture's own axes.  EXPECT (set before this script) lists
 * what to find.  The verdict goes into a <pre> with id "result" as JSON, which the
 * test reads from Chromium's --dump-dom output.
 */
(function () {
    var errors = [];
    var checks = 0;
    function check(ok, what) {
        checks++;
        if (!ok) errors.push(what);
    }
    function near(a, b, tol) { return Math.abs(a - b) <= tol; }
    function num(el, attr) { return parseFloat(el.getAttribute(attr)); }

    try {
        var svg = document.querySelector('svg');
        check(svg !== null, 'no <svg> element');
        var width = svg.viewBox.baseVal.width;

        /* Time axis: a least-squares line through the ticks (x = a + b * sec). */
        var ticks = Array.prototype.slice.call(document.querySelectorAll('#time-axis line.tick'));
        check(ticks.length >= 3, 'time axis has ' + ticks.length + ' ticks');
        var n = ticks.length, sx = 0, sy = 0, sxx = 0, sxy = 0;
        ticks.forEach(function (t) {
            var s = num(t, 'data-sec'), x = t.x1.baseVal.value;
            sx += s; sy += x; sxx += s * s; sxy += s * x;
        });
        var b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n;
        function xOf(sec) { return a + b * sec; }
        check(b > 0, 'time runs left to right');
        check(near(xOf(0), num(svg, 'data-x0'), 0.5) && near(xOf(EXPECT.length_sec), num(svg, 'data-x1'), 0.5),
              'time axis spans the session');

        /* A row's value axis from its y ticks (y = c + d * value). */
        function rowAxis(row) {
            var yt = Array.prototype.slice.call(row.querySelectorAll('line.ytick'));
            var attr = ['data-hz', 'data-db', 'data-level'].filter(function (k) {
                return yt.length && yt[0].hasAttribute(k);
            })[0];
            var m = yt.length, vx = 0, vy = 0, vxx = 0, vxy = 0;
            yt.forEach(function (t) {
                var v = num(t, attr), y = t.y1.baseVal.value;
                vx += v; vy += y; vxx += v * v; vxy += v * y;
            });
            var d = (m * vxy - vx * vy) / (m * vxx - vx * vx), c = (vy - d * vx) / m;
            return { ticks: m, yOf: function (v) { return c + d * v; }, valueOf: function (y) { return (y - c) / d; } };
        }

        /* Where a curve is at `sec`: binary search along the path for x. */
        function curveAt(path, sec) {
            var x = xOf(sec), lo = 0, hi = path.getTotalLength();
            for (var i = 0; i < 60; i++) {
                var mid = (lo + hi) / 2;
                if (path.getPointAtLength(mid).x < x) lo = mid; else hi = mid;
            }
            return path.getPointAtLength((lo + hi) / 2).y;
        }

        EXPECT.curves.forEach(function (c) {
            var path = document.getElementById(c.id);
            check(path !== null, 'no curve #' + c.id);
            if (!path) return;
            var row = path.parentNode;
            var axis = rowAxis(row);
            check(axis.ticks >= 2, '#' + c.id + ': its row has ' + axis.ticks + ' value ticks');
            /* The curve stays inside its row's frame. */
            var frame = row.querySelector('rect').getBBox(), bb = path.getBBox();
            check(bb.y >= frame.y - 1 && bb.y + bb.height <= frame.y + frame.height + 1 &&
                  bb.x >= frame.x - 1 && bb.x + bb.width <= frame.x + frame.width + 1,
                  '#' + c.id + ' leaves its row');
            var range = Math.abs(num(row, 'data-vmax') - num(row, 'data-vmin'));
            c.points.forEach(function (p) {
                var v = axis.valueOf(curveAt(path, p[0]));
                check(near(v, p[1], range * 0.01 + 1e-9),
                      '#' + c.id + ' at ' + p[0] + ' s reads ' + v.toFixed(3) + ', script says ' + p[1]);
            });
        });

        /* Sections: a marker at the start time, with the name. */
        var secs = document.querySelectorAll('g.section');
        check(secs.length === EXPECT.sections.length,
              secs.length + ' section markers, script has ' + EXPECT.sections.length);
        EXPECT.sections.forEach(function (s, i) {
            var g = document.getElementById('section-' + i);
            if (!g) { check(false, 'no marker for section ' + s.name); return; }
            var line = g.querySelector('line');
            check(near(line.x1.baseVal.value, xOf(s.start_sec), 0.5),
                  'section ' + s.name + ' at x ' + line.x1.baseVal.value + ', expected ' + xOf(s.start_sec));
            check(g.querySelector('text').textContent === s.name, 'section ' + i + ' is labelled ' + s.name);
        });

        /* Bands on every beat axis, where their frequencies are. */
        Array.prototype.slice.call(document.querySelectorAll('rect.band')).forEach(function (r) {
            var axis = rowAxis(r.parentNode);
            var top = Math.min(num(r, 'data-hi-hz'), num(r.parentNode, 'data-vmax'));
            var bb = r.getBBox();
            check(near(axis.valueOf(bb.y), top, 0.05) && near(axis.valueOf(bb.y + bb.height), num(r, 'data-lo-hz'), 0.05),
                  'band ' + r.getAttribute('data-band') + ' spans ' + axis.valueOf(bb.y + bb.height).toFixed(2) +
                  '..' + axis.valueOf(bb.y).toFixed(2) + ' Hz');
        });
        check(document.querySelectorAll('rect.band').length >= 4 * EXPECT.beat_rows,
              'delta, theta, alpha and beta shaded on each beat axis');

        /* Clips: blocks as long as their files. */
        var clips = document.querySelectorAll('g.clip');
        check(clips.length === EXPECT.clips.length, clips.length + ' clip blocks, script has ' + EXPECT.clips.length);
        EXPECT.clips.forEach(function (c, i) {
            var g = clips[i];
            if (!g) return;
            var bb = g.querySelector('rect').getBBox();
            var end = Math.min(c.start_sec + c.duration_sec, EXPECT.length_sec);
            check(near(bb.x, xOf(c.start_sec), 0.5) && near(bb.x + bb.width, Math.max(xOf(end), bb.x + 1), 0.5),
                  'clip ' + c.file + ' drawn ' + bb.x.toFixed(1) + '..' + (bb.x + bb.width).toFixed(1) +
                  ', expected ' + xOf(c.start_sec).toFixed(1) + '..' + xOf(end).toFixed(1));
        });

        /* Lanes: one per voice plus the master, top to bottom in script order. */
        var lanes = document.querySelectorAll('g.lane');
        check(lanes.length === EXPECT.voices.length + 1, lanes.length + ' lanes');
        var lastBottom = -1;
        EXPECT.voices.forEach(function (v, i) {
            var g = lanes[i];
            check(g && g.getAttribute('data-voice') === v, 'lane ' + i + ' is ' + v);
            if (!g) return;
            var bb = g.getBBox();
            check(bb.y >= lastBottom - 0.5, 'lane ' + v + ' overlaps the one above');
            lastBottom = bb.y + bb.height;
        });

        /* Everything readable: all text inside the picture. */
        Array.prototype.slice.call(document.querySelectorAll('svg text')).forEach(function (t) {
            var bb = t.getBBox();
            check(bb.x >= 0 && bb.x + bb.width <= width + 0.5, 'text "' + t.textContent + '" runs off the picture');
        });
        check(document.querySelector('#legend') !== null, 'a legend');
        check(/\S/.test(document.getElementById('title').textContent), 'a title');
    } catch (e) {
        errors.push('exception: ' + e);
    }
    var pre = document.createElement('pre');
    pre.id = 'result';
    pre.textContent = JSON.stringify({ checks: checks, errors: errors.concat(window.LOAD_ERRORS || []) });
    document.body.appendChild(pre);
})();
