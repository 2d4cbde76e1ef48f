/*
 * Connection admission: maxclients and protected mode decide from the settings and the
 * client's address (a non-loopback client cannot be produced in a test that listens on
 * loopback only, so the decision is tested directly; integration tests cover maxclients).
 */
import { describe, expect, it } from 'vitest';
import { admissionRefusal } from '../../src/server.ts';
import { Settings } from '../../src/settings.ts';

describe('admissionRefusal', () => {
  it('refuses past maxclients with Redis error text', () => {
    const settings = new Settings();
    settings.maxclients = 2;
    expect(admissionRefusal(settings, 1, '127.0.0.1', true)).toBeNull();
    expect(admissionRefusal(settings, 2, '127.0.0.1', true)?.toString()).toBe('-ERR max number of clients reached\r\n');
  });

  it('protected mode refuses non-loopback clients only while the default user has no password', () => {
    const settings = new Settings();
    for (const loopback of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) {
      expect(admissionRefusal(settings, 0, loopback, true), loopback).toBeNull();
    }
    const denied = admissionRefusal(settings, 0, '10.1.2.3', true)?.toString() ?? '';
    expect(denied).toMatch(/^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. .*from the outside\.\r\n$/);
    expect(admissionRefusal(settings, 0, 'fd00::2', true)).not.toBeNull();
    // requirepass or ACL SETUSER default >password
    expect(admissionRefusal(settings, 0, '10.1.2.3', false)).toBeNull();
    settings.protectedMode = false;
    expect(admissionRefusal(settings, 0, '10.1.2.3', true)).toBeNull();
  });
});
