/** Errors as data: each failure maps to a class and a code from src/graph/error-codes.ts, by codes, not by words. */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { Connection } from '../../../src/graph/connection';
import { ErrorCodes } from '../../../src/graph/error-codes';
import {
  ConfigError,
  GraphError,
  graphError,
  NetworkError,
  networkError,
  O365Error,
  outcomeUnknown,
  TokenError,
  tokenError,
} from '../../../src/graph/errors';
import { badInput, SendError, sendErrorText } from '../../../src/send/errors';

describe('errors as data', () => {
  describe('token errors', () => {
    it('takes the AADSTS number msal read from error_codes, whatever the text says', () => {
      const err = tokenError({
        errorCode: 'invalid_client',
        errorNo: '7000222',
        errorMessage: 'no number here',
      });
      assert.ok(err instanceof TokenError);
      assert.equal(err.code, 'AADSTS7000222');
      assert.equal(err.reason, 'secret-expired');
    });

    it("tells a timeout from an unreachable service by the transport's code behind msal's network_error", () => {
      const msal = {
        errorCode: 'network_error',
        errorMessage: 'See https://aka.ms/msal.js.errors#network_error',
      };
      const timedOut = tokenError(
        msal,
        Object.assign(new Error('timeout of 10ms exceeded'), { code: 'ECONNABORTED' }),
      );
      assert.equal(timedOut.code, ErrorCodes.tokenTimeout);
      assert.equal(timedOut.reason, 'timeout');
      const refused = tokenError(
        msal,
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      );
      assert.equal(refused.code, ErrorCodes.tokenNetworkError);
      assert.match(
        refused.message,
        /Cannot reach the sign-in service \(connect ECONNREFUSED 127\.0\.0\.1:9\)/,
      );
    });

    it('reports a sign-in service that refuses connections as a TokenError naming the transport failure', async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const connection = new Connection({
        tenantId: 'contoso.example',
        applicationId: '0b7c6a3e-5d2f-4e8a-9c1b-7f3e2a1d5c60',
        cloud: 'custom',
        authorityHost: `https://127.0.0.1:${port}`,
        graphEndpoint: `https://127.0.0.1:${port}`,
        clientSecret: 'x',
      });
      try {
        const err = await connection.tokens.getToken().then(
          () => assert.fail('expected no token'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof TokenError, String(err));
        assert.equal(err.code, ErrorCodes.tokenNetworkError);
        assert.match(err.message, /ECONNREFUSED/);
      } finally {
        connection.close();
      }
    });
  });

  describe('Graph and network errors', () => {
    it('maps a $batch item like a plain response (same reasons, hints and request id)', () => {
      const body = { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } };
      const item = graphError(
        403,
        body,
        { 'request-id': 'r1' },
        { mailbox: 'a@b.example', permission: 'Mail.ReadWrite' },
      );
      assert.ok(item instanceof GraphError);
      assert.equal(item.reason, 'permission-missing');
      assert.equal(item.requestId, 'r1');
      assert.match(item.message, /lacks Mail\.ReadWrite .* mailbox a@b\.example/);
      assert.equal(graphError(429, {}, { 'retry-after': '2' }).retryAfterMs, 2000);
    });

    it('names a mailbox Graph does not know by its code, not by words in the message', () => {
      const unknown = graphError(404, { error: { code: 'ErrorInvalidUser', message: 'x' } }, {});
      assert.equal(unknown.reason, 'mailbox-not-found');
      const item = graphError(
        404,
        { error: { code: 'ErrorItemNotFound', message: 'user mailbox item' } },
        {},
      );
      assert.equal(item.reason, 'item-not-found');
    });

    it('classifies a transport failure by its code', () => {
      const timeout = networkError(Object.assign(new Error('socket stalled'), { code: 'ETIMEDOUT' }));
      assert.ok(timeout instanceof NetworkError);
      assert.equal(timeout.code, ErrorCodes.timeout);
      const reset = networkError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      assert.equal(reset.code, 'ECONNRESET');
      assert.equal(reset.reason, 'network');
      assert.equal(networkError(new Error('timeout in words only')).reason, 'network');
    });

    it('keeps the class of the cause when the outcome is unknown', () => {
      const dropped = outcomeUnknown(
        networkError(Object.assign(new Error('hang up'), { code: 'ECONNRESET' })),
      );
      assert.ok(dropped instanceof NetworkError);
      assert.equal(dropped.code, ErrorCodes.outcomeUnknown);
      assert.ok(outcomeUnknown(graphError(504, {}, {})) instanceof GraphError);
    });

    it('gives a setting error the property it concerns, in the same family', () => {
      const err = new ConfigError('no mailbox (username) set', { property: 'username' });
      assert.ok(err instanceof O365Error);
      assert.equal(err.message, 'no mailbox (username) set');
      assert.equal(err.property, 'username');
      assert.equal(err.reason, 'config-invalid');
    });
  });

  describe('send errors', () => {
    it('keeps the problem apart from what it means for the mail', () => {
      const err = badInput('no recipient');
      assert.equal(err.problem, 'no recipient');
      assert.equal(err.message, 'no recipient; nothing was sent');
      assert.equal(err.outcome, 'not-sent');
    });

    it('builds every message from the fields in one place', () => {
      const unknown = new SendError({
        code: 'OutcomeUnknown',
        problem: 'dropped',
        recipients: 'a@b.example',
        draftKept: true,
      });
      assert.equal(unknown.outcome, 'unknown');
      assert.equal(
        unknown.message,
        'the mail to a@b.example may or may not have been sent (dropped); it was not sent again; if it was not sent, it is still in Drafts',
      );
      assert.equal(sendErrorText({ code: 'Failed', problem: 'refused' }), 'mail not sent: refused');
      assert.equal(
        sendErrorText({ code: 'Closed', problem: 'the node is closing' }),
        'the node is closing; the mail was not sent',
      );
    });
  });
});
