// The review queue's keys: m merges, n marks not a duplicate, s skips — unless typing.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input[type=text], textarea, select")) return;
  const button = document.querySelector(`#review-form button[data-key="${event.key}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
