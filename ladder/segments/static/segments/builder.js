// Edits inside .not-live (the JSON editor) must not refresh the live count: stop their input
// and change events before they reach the form's hx-trigger. (An hx-trigger filter would do it
// with eval, which Ladder's content security policy forbids.)
for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    if (event.target instanceof Element && event.target.closest(".not-live")) {
      event.stopPropagation();
    }
  }, true);
}
