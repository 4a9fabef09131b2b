// RFC 3339 §5.6 date-time: full-date "T" full-time; "T"/"t", "Z"/"z"; fraction of any length; offset ±hh:mm.
const DATE_TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))$/;

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Why `s` is not an RFC 3339 date-time, or undefined. Second 60 (leap second) is accepted, as the contract says. */
export function dateTimeProblem(s: string): string | undefined {
  const m = DATE_TIME.exec(s);
  if (m === null) return 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z';
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return `has no month ${month}`;
  if (day < 1 || day > daysInMonth(year, month)) return `has no day ${day} in ${m[1]}-${m[2]}`;
  if (hour > 23 || minute > 59 || second > 60) return 'has a time of day out of range';
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return 'has a UTC offset out of range';
  return undefined;
}
