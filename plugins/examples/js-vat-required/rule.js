// Example tenant rule in JavaScript: invoices from vendors in selected countries must
// carry the vendor's VAT id. Built into a `fraud-rule` component by componentize-js
// (see README.md); WIT names arrive in camelCase (`tax-id` → `taxId`), enums and
// variant tags stay kebab-case strings.
import { get } from 'papyr:pipeline/config@0.1.0';
import { log } from 'papyr:pipeline/log@0.1.0';

const RULE = 'tenant.vat-id-required';
const DEFAULT_COUNTRIES = 'DE,FR,IT,ES,NL,BE,AT';

export function rules() {
  return [
    {
      id: RULE,
      title: 'VAT id required for vendors in selected countries',
      description:
        'Invoices from vendors in the countries listed in `countries` (comma-separated ' +
        `ISO codes, default ${DEFAULT_COUNTRIES}) must show the vendor's VAT id.`,
      defaultSeverity: 'medium',
    },
  ];
}

export function check(input) {
  const countries = configuredCountries();
  const vendor = input.invoice.vendor;
  if (present(vendor.taxId)) {
    return [];
  }
  const where = vendorCountry(vendor.country, input.invoice.iban);
  if (where === null || !countries.has(where.country)) {
    return [];
  }
  if (where.fromIban) {
    log('debug', `vendor country ${where.country} taken from the IBAN`);
  }
  const name = present(vendor.name) ? vendor.name.trim() : 'The vendor';
  return [
    {
      rule: RULE,
      severity: 'medium',
      score: 35,
      message: `${name} (${where.country}) gives no VAT id on this invoice; ask the vendor for it before paying.`,
      evidence: [
        evidence('vendor', present(vendor.name) ? vendor.name.trim() : '(no name on the invoice)'),
        evidence(where.fromIban ? 'vendor country (from the IBAN)' : 'vendor country', where.country),
      ],
    },
  ];
}

/// The `countries` setting as a set of upper-case codes. A value that is not a list of
/// two-letter codes is the tenant admin's mistake: reported as the WIT `config` error
/// (a thrown plain object becomes the `stage-error` of the result), not as a trap.
function configuredCountries() {
  const raw = get('countries') ?? DEFAULT_COUNTRIES;
  const codes = raw
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== '');
  const bad = codes.find((c) => !/^[A-Z]{2}$/.test(c));
  if (codes.length === 0 || bad !== undefined) {
    throw {
      tag: 'config',
      val: `\`countries\` = \`${raw}\` is not a comma-separated list of two-letter country codes`,
    };
  }
  return new Set(codes);
}

/// The vendor's country as printed, else the country prefix of the payee IBAN; null
/// when neither gives two letters.
function vendorCountry(country, iban) {
  if (present(country)) {
    const c = country.trim().toUpperCase();
    return /^[A-Z]{2}$/.test(c) ? { country: c, fromIban: false } : null;
  }
  if (present(iban)) {
    const prefix = iban.replace(/\s+/g, '').slice(0, 2).toUpperCase();
    return /^[A-Z]{2}$/.test(prefix) ? { country: prefix, fromIban: true } : null;
  }
  return null;
}

function present(s) {
  return typeof s === 'string' && s.trim() !== '';
}

function evidence(label, value) {
  return { label, value, page: 0, line: 0 };
}
