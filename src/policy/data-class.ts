/**
 * Data classes, least to most sensitive. A request's class is the highest class among its
 * detections (`public` when nothing was found); the policy says per class which zones may see it.
 */
export const dataClasses = ['public', 'internal', 'confidential', 'restricted'] as const;

export type DataClass = (typeof dataClasses)[number];

const rank: Record<DataClass, number> = { public: 0, internal: 1, confidential: 2, restricted: 3 };

export function isDataClass(value: string): value is DataClass {
  return Object.hasOwn(rank, value);
}

export function higherClass(a: DataClass, b: DataClass): DataClass {
  return rank[a] >= rank[b] ? a : b;
}

/** What each built-in detector label means when the config does not say (custom labels: `defaultClass`). */
export const defaultClassOf: Readonly<Record<string, DataClass>> = {
  SECRET: 'restricted',
  CREDIT_CARD: 'restricted',
  US_SSN: 'restricted',
  IBAN: 'confidential',
  EMAIL: 'confidential',
  PHONE: 'confidential',
  PERSON: 'confidential',
  ADDRESS: 'confidential',
  DATE_OF_BIRTH: 'confidential',
  IP_ADDRESS: 'internal',
};
