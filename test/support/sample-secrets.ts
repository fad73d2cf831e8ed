/** Secrets of each kind the guard names in results, for the tests that try to get them past it. */

/** Made-up values in each format (built in pieces so no scanner takes this file for a leak); none is real. */
export const SAMPLE_SECRETS: Record<string, string> = {
  'aws-access-key': ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join(''),
  'github-token': `ghp_${'aB3dE6gH9k'.repeat(4)}`.slice(0, 40),
  'gitlab-token': `glpat-${'Ab1Cd2Ef3Gh4Ij5Kl6Mn'}`,
  'slack-token': `xoxb-${'1234567890123-1234567890123-'}AbCdEfGhIjKlMnOpQrStUvWx`,
  'google-api-key': `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`,
  'google-oauth-token': `ya29.${'a0AfH6SMBx7Qz9'.repeat(3)}`,
  jwt: ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'].join('.'),
  'private-key': [
    `-----BEGIN RSA ${'PRIVATE'} KEY-----`,
    'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB',
    'aFDrBz9vFqU4yQIDAQABAoIBAF4AaS2iHdf3B2t7ZkTtQ5ZxM4+Fq0Cz6Hy0A9Tg',
    `-----END RSA ${'PRIVATE'} KEY-----`,
  ].join('\n'),
};
