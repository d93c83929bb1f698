// The ipywidgets embedder (html-manager 1.x) typesets widget labels through the
// MathJax 2 API, `MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])`. The site
// loads MathJax 3, which has no Hub; this shim forwards those calls to MathJax 3.
// The Hub is attached as a non-enumerable property so MathJax 3's own
// configuration merge never sees it.
(function () {
  "use strict";
  function typeset(element) {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
      mj.startup.promise.then(function () {
        return mj.typesetPromise(element ? [element] : undefined);
      }).catch(function (err) { console.warn("MathJax typeset failed", err); });
    }
  }
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
      }
    },
  };
  function attach(obj) {
    if (obj && typeof obj === "object" && !Object.prototype.hasOwnProperty.call(obj, "Hub")) {
      Object.defineProperty(obj, "Hub", { value: hub, enumerable: false, configurable: true });
    }
  }
  var current = window.MathJax;
  attach(current);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = value; attach(value); },
  });
})();
