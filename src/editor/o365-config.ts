/** The o365-config editor: one Entra ID application (tenant, client id, secret or certificate, cloud). */
import { currentValue, NodeEditor } from './dialog';
import { field, FormValue, hint, nameRow, section } from './form';
import { EditorNode, Validator } from './red';
import { CLOUDS, DOMAIN, GUID, MULTI_TENANT_IDS, THUMBPRINT } from '../graph/account-rules';
import { DELEGATED_IDS, DelegatedSignIn } from './delegated';
import { ENV_REFERENCE, isHttpsUrl, shorten, textOf } from './rules';
import { publicUrlValidator, showNotificationUrl, stopNotificationUrl } from './push';
import { testConnection } from './test-connection';

const TYPE = 'o365-config';
const PREFIX = 'node-config-input';

const shown = (node: EditorNode, prop: string) => currentValue(node, PREFIX, prop);
const invalid = (node: EditorNode, key: string) => node._(`${TYPE}.invalid.${key}`);

function customUrlValidator(prop: string): Validator {
  return function (value) {
    if (shown(this, 'cloud') !== 'custom') return true;
    const text = textOf(value);
    return ENV_REFERENCE.test(text) || isHttpsUrl(text) ? true : invalid(this, prop);
  };
}

/** A credential the chosen sign-in type needs; checked while the dialog is open (credentials are not loaded otherwise). */
function credentialValidator(authType: string, prop: string): Validator {
  return function (value) {
    if (shown(this, 'authType') !== authType) return true;
    return textOf(value) !== '' ? true : invalid(this, prop);
  };
}

const usesCertificate = (value: FormValue) => value('authType') === 'certificate';
const usesSecret = (value: FormValue) => value('authType') === 'secret' || value('authType') === 'delegated';
const delegated = (value: FormValue) => value('authType') === 'delegated';

/** The sign-in of the open dialog, stopped when it closes. */
let signIn: DelegatedSignIn | undefined;

/** PEM files are read in the browser and pasted into their field; nothing is uploaded until deploy. */
function readFilesIntoFields(): void {
  $('input[type=file][data-o365-target]').on('change', function (this: HTMLInputElement) {
    const file = this.files?.[0];
    const target = $(`#${PREFIX}-${$(this).attr('data-o365-target')}`);
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => target.val(String(reader.result).trim()).trigger('change');
    reader.readAsText(file, 'UTF-8');
    this.value = '';
  });
}

export const configEditor: NodeEditor = {
  type: TYPE,
  category: 'config',
  icon: 'o365-config.svg',
  defaults: {
    name: { value: '' },
    tenantId: {
      value: '',
      required: true,
      validate(value) {
        const text = textOf(value);
        if (GUID.test(text) || DOMAIN.test(text) || ENV_REFERENCE.test(text)) return true;
        // common, organizations and consumers name no tenant: only a signed-in user can use them.
        if (MULTI_TENANT_IDS.includes(text.toLowerCase())) {
          return shown(this, 'authType') === 'delegated' ? true : invalid(this, 'tenantId-delegated-only');
        }
        return invalid(this, 'tenantId');
      },
    },
    applicationId: {
      value: '',
      required: true,
      validate(value) {
        const text = textOf(value);
        return GUID.test(text) || ENV_REFERENCE.test(text) ? true : invalid(this, 'applicationId');
      },
    },
    cloud: {
      value: 'global',
      validate(value) {
        return value === 'custom' || Object.hasOwn(CLOUDS, String(value)) ? true : invalid(this, 'cloud');
      },
    },
    authorityHost: { value: '', validate: customUrlValidator('authorityHost') },
    graphEndpoint: { value: '', validate: customUrlValidator('graphEndpoint') },
    authType: {
      value: 'secret',
      validate(value) {
        return value === 'secret' || value === 'certificate' || value === 'delegated'
          ? true
          : invalid(this, 'authType');
      },
    },
    certificateThumbprint: {
      value: '',
      validate(value) {
        if (shown(this, 'authType') !== 'certificate') return true;
        // The runtime ignores the colons and spaces that certificate viewers put between bytes.
        const hex = textOf(value).replace(/[\s:]/g, '');
        if (hex === '') {
          const certificate = $(`#${PREFIX}-certificate`);
          return certificate.length && textOf(certificate.val()) === ''
            ? invalid(this, 'no-thumbprint')
            : true;
        }
        return THUMBPRINT.test(hex) || ENV_REFERENCE.test(hex)
          ? true
          : invalid(this, 'certificateThumbprint');
      },
    },
    publicUrl: { value: '', validate: publicUrlValidator(TYPE) },
  },
  credentials: {
    clientSecret: { type: 'password', validate: credentialValidator('secret', 'clientSecret') },
    privateKey: { type: 'password', validate: credentialValidator('certificate', 'privateKey') },
    certificate: { type: 'text' },
  },
  form: [
    section('application'),
    field('tenantId', 'text', 'building'),
    field('applicationId', 'text', 'id-badge'),
    section('credentials'),
    field('authType', 'select', 'key', { options: ['secret', 'certificate', 'delegated'] }),
    hint('delegated', { when: delegated }),
    field('clientSecret', 'password', 'lock', { when: usesSecret }),
    hint('delegated-secret', { when: delegated }),
    field('privateKey', 'textarea', 'lock', {
      masked: true,
      upload: '.pem,.key,.txt',
      when: usesCertificate,
    }),
    field('certificate', 'textarea', 'certificate', {
      upload: '.pem,.crt,.cer,.txt',
      when: usesCertificate,
    }),
    field('certificateThumbprint', 'text', 'hashtag', {
      monospace: true,
      when: usesCertificate,
    }),
    hint('certificate', { when: usesCertificate }),
    section('cloud'),
    field('cloud', 'select', 'cloud', { options: ['global', 'usgov', 'usgovdod', 'china', 'custom'] }),
    hint(undefined, {
      id: 'o365-config-cloud-hint',
      when: (value) => Object.hasOwn(CLOUDS, String(value('cloud'))),
    }),
    field('authorityHost', 'text', 'sign-in', {
      when: (value) => value('cloud') === 'custom',
    }),
    field('graphEndpoint', 'text', 'globe', {
      when: (value) => value('cloud') === 'custom',
    }),
    section('delegated', delegated),
    { kind: 'output', id: DELEGATED_IDS.permissions, className: 'o365-test-result', when: delegated },
    hint('redirect', { when: delegated }),
    { kind: 'output', id: DELEGATED_IDS.redirect, className: 'o365-test-result', when: delegated },
    {
      kind: 'button',
      id: DELEGATED_IDS.browser,
      icon: 'sign-in',
      text: 'delegated.signin-browser',
      when: delegated,
    },
    {
      kind: 'button',
      id: DELEGATED_IDS.device,
      icon: 'mobile',
      text: 'delegated.signin-device',
      when: delegated,
    },
    {
      kind: 'button',
      id: DELEGATED_IDS.signOut,
      icon: 'sign-out',
      text: 'delegated.signout',
      when: delegated,
    },
    { kind: 'output', id: DELEGATED_IDS.status, className: 'o365-test-result', when: delegated },
    section('push'),
    field('publicUrl', 'text', 'globe'),
    hint('publicUrl'),
    hint(undefined, { id: 'o365-config-push-url', live: true }),
    section('test'),
    field('testMailbox', 'text', 'envelope-o'),
    { kind: 'button', id: 'o365-config-test-button', icon: 'plug', text: 'test.button' },
    hint('test'),
    { kind: 'output', id: 'o365-config-test-result', className: 'o365-test-result' },
    ...nameRow(),
  ],
  label() {
    const app = shorten(this.applicationId);
    const tenant = shorten(this.tenantId);
    return app && tenant ? `${app}@${tenant}` : this._(`${TYPE}.section.application`);
  },
  prepare(node, value) {
    const showCloudHosts = () => {
      const hosts = CLOUDS[value('cloud') as keyof typeof CLOUDS];
      $('#o365-config-cloud-hint').text(hosts ? node._(`${TYPE}.tip.cloud`, hosts) : '');
    };
    $(`#${PREFIX}-cloud`).on('change', showCloudHosts);
    showCloudHosts();
    readFilesIntoFields();
    // Where Graph will call the mail in nodes with pollType push, or why it cannot.
    const pushUrl = () => {
      const publicUrl = textOf(value('publicUrl'));
      const output = $('#o365-config-push-url');
      if (publicUrl === '') output.text(node._(`${TYPE}.tip.push-off`));
      else
        showNotificationUrl(node, output, publicUrl, '', {
          url: `${TYPE}.tip.push-url`,
          none: `${TYPE}.tip.push-none`,
          nodeId: `${TYPE}.tip.push-node-id`,
        });
    };
    $(`#${PREFIX}-publicUrl`).on('change keyup input', pushUrl);
    pushUrl();
    // The test takes every setting of the account (all properties but the name).
    const accountSettings = Object.keys(configEditor.defaults).filter((prop) => prop !== 'name');
    $('#o365-config-test-button').on('click', function () {
      testConnection(node, accountSettings, $(this), $('#o365-config-test-result'));
    });
    signIn = new DelegatedSignIn(node, accountSettings);
    signIn.start();
  },
  close() {
    signIn?.stop();
    signIn = undefined;
    stopNotificationUrl();
  },
};
