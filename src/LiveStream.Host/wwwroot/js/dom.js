// @ts-check
// DOM helpers. Every text a user or the API supplies goes in as a text node, never as markup.
import { ApiError } from './api.js';

/**
 * Creates an element: attributes (on* are listeners, `dataset` an object), then children (strings become text).
 * @param {string} tag
 * @param {Record<string, any>} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'class') element.className = value;
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

/** @param {Element} parent @param {...(Node | string | number | null | undefined | false)} children */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * A labelled input with a slot for its field error (`data-error-for` matches the API's field name).
 * @param {string} label
 * @param {string} name the API's field name
 * @param {Record<string, any>} [attributes]
 */
export function field(label, name, attributes = {}) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const control = attributes.tag === 'textarea' || attributes.tag === 'select'
    ? h(attributes.tag, { id, name, ...withoutTag(attributes) }, ...(attributes.options ?? []))
    : h('input', { id, name, type: 'text', ...withoutTag(attributes) });
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    h('small', { class: 'field-error', 'data-error-for': name, role: 'alert' }));
}

/** @param {Record<string, any>} attributes */
function withoutTag(attributes) {
  const { tag, options, ...rest } = attributes;
  return rest;
}

/**
 * Wires a form: submit runs the action; an API error shows each field error next to its field, the rest above the
 * button. The action receives the form's values.
 * @param {HTMLFormElement} form
 * @param {(values: Record<string, string>) => Promise<void>} action
 */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector('button[type=submit]');
    button?.setAttribute('disabled', '');
    try {
      const values = /** @type {Record<string, string>} */ (Object.fromEntries(new FormData(form).entries()));
      await action(values);
    } catch (error) {
      showErrors(form, error);
    } finally {
      button?.removeAttribute('disabled');
    }
  });
}

/** @param {HTMLElement} form */
function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error, .form-error')) slot.textContent = '';
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}

/** @param {HTMLElement} form @param {unknown} error */
export function showErrors(form, error) {
  const general = form.querySelector('.form-error') ?? form.appendChild(h('p', { class: 'form-error', role: 'alert' }));
  if (!(error instanceof ApiError)) {
    general.textContent = error instanceof Error ? error.message : String(error);
    return;
  }
  let shownAll = true;
  for (const [name, messages] of Object.entries(error.fieldErrors)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = messages.join(' ');
      form.querySelector(`[name="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
    } else {
      shownAll = false;
    }
  }
  if (!shownAll || Object.keys(error.fieldErrors).length === 0) general.textContent = error.message;
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

/** @param {number} seconds */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A page-level message (loading, error). @param {string} text @param {string} [kind] */
export function notice(text, kind = 'info') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
