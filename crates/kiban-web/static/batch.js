// バッチ管理: refreshes the progress bars of the runs on the page while any
// of them is queued or running (no library, nothing from outside).
(function () {
  "use strict";
  var active = function (status) { return status === "queued" || status === "running"; };
  var rows = function () { return document.querySelectorAll("tr[data-job-id]"); };
  var anyActive = function () {
    return Array.prototype.some.call(rows(), function (row) { return active(row.dataset.status); });
  };
  var refresh = function () {
    if (!anyActive()) { return; }
    fetch("/app/batch/progress", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        var finished = false;
        body.jobs.forEach(function (job) {
          var row = document.querySelector('tr[data-job-id="' + job.job_id + '"]');
          if (!row) { return; }
          var bar = row.querySelector("progress");
          if (bar) { bar.max = Math.max(job.total, 1); bar.value = job.done; bar.textContent = job.done + " / " + job.total; }
          var count = row.querySelector(".count");
          if (count) { count.textContent = job.done + " / " + job.total; }
          var status = row.querySelector(".status");
          if (status) { status.textContent = job.status_label; }
          if (active(row.dataset.status) && !active(job.status)) { finished = true; }
          row.dataset.status = job.status;
        });
        // A run finished: reload once to show its outputs and actions.
        if (finished) { window.location.reload(); return; }
        window.setTimeout(refresh, 1000);
      })
      .catch(function () { window.setTimeout(refresh, 5000); });
  };
  window.setTimeout(refresh, 1000);
})();
