// Least privilege on the API Management service: generate gateway tokens; list and regenerate gateway
// keys only when revocation is allowed. The built-in "API Management Service Contributor" is far broader.
// The role's id is fixed by its scope and name, so a re-deployment edits it in place: switching
// allowKeyRevocation off removes the revocation actions from the same role and the same assignment.
param apimServiceName string
param principalId string
param allowKeyRevocation bool
@description('Distinguishes gateway-guard deployments (azd environments) that share this resource group.')
param deploymentToken string

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = { name: apimServiceName }

// Custom role names are unique in the tenant: the scope and the deployment make this one unique.
var roleName = 'API Management gateway token operator (gateway-guard ${uniqueString(resourceGroup().id, deploymentToken)})'
var tokenActions = ['Microsoft.ApiManagement/service/gateways/generateToken/action']
var revokeActions = [
  'Microsoft.ApiManagement/service/gateways/listKeys/action'
  'Microsoft.ApiManagement/service/gateways/regenerateKey/action'
]

resource tokenRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, roleName)
  properties: {
    roleName: roleName
    description: 'Generate self-hosted gateway tokens${allowKeyRevocation ? ', and list and regenerate gateway keys (revocation)' : ''}. Used by gateway-guard.'
    type: 'CustomRole'
    permissions: [{ actions: allowKeyRevocation ? concat(tokenActions, revokeActions) : tokenActions, notActions: [] }]
    assignableScopes: [resourceGroup().id]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apim.id, principalId, tokenRole.id)
  scope: apim
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: tokenRole.id
  }
}
