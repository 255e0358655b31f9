// gateway-guard: everything the Function App needs in Azure (azd layout: `azd up` deploys this, then the code).
// Identity-based access everywhere: no storage keys, no connection strings, least-privilege roles.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name the resource group and resources.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Resource group of the API Management service whose self-hosted gateways are managed.')
param apimResourceGroupName string

@description('Name of the API Management service.')
param apimServiceName string

@description('The gateway-guard configuration as base64-encoded JSON (base64 keeps its quotes intact through azd), stored decoded in app setting GATEWAY_GUARD_CONFIG. See README "Configuration".')
param gatewayGuardConfigBase64 string

@description('NCRONTAB schedule of the rotation fan-out (app setting ROTATION_SCHEDULE). Default: daily at 03:00 UTC.')
param rotationSchedule string = '0 0 3 * * *'

@description('Grant regenerateKey/action so that revokeOldKey can work. Off by default: revocation is opt-in.')
param allowKeyRevocation bool = false

@description('Email that receives alerts for failed or poisoned rotations; empty for none.')
param alertEmail string = ''

@description('Subscribe the webhook to Key Vault SecretNearExpiry events. Turn on after the first `azd deploy` (Event Grid validates the endpoint).')
param enableKeyVaultEvents bool = false

@description('Names of the Key Vault secrets that hold gateway tokens: only their events reach the webhook (others would get 404, which Event Grid retries).')
param gatewayTokenSecretNames array = []

var tags = { 'azd-env-name': environmentName, application: 'gateway-guard' }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'gateway-guard-resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: token
    gatewayGuardConfig: base64ToString(gatewayGuardConfigBase64)
    rotationSchedule: rotationSchedule
    alertEmail: alertEmail
    enableKeyVaultEvents: enableKeyVaultEvents
    gatewayTokenSecretNames: gatewayTokenSecretNames
  }
}

module apimAccess 'modules/apim-access.bicep' = {
  name: 'gateway-guard-apim-access'
  scope: resourceGroup(apimResourceGroupName)
  params: {
    apimServiceName: apimServiceName
    principalId: resources.outputs.identityPrincipalId
    allowKeyRevocation: allowKeyRevocation
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_KEY_VAULT_URL string = resources.outputs.keyVaultUrl
output AZURE_CLIENT_ID string = resources.outputs.identityClientId
output GATEWAY_GUARD_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
